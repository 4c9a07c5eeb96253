import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import {
  safeState, SafeState, MemoryBackend, checkpoint, resumeState, resumeFrozenState, resumeResults, record, registerReconnector,
  unregisterReconnector, listReconnectors, ReconnectError, UnserializableStateError, InvalidOptionsError, type ReconnectorOptions,
} from '../../lib/index';
import { TS_NODE } from '../helpers';

/** A live resource: its `id` says which process-local instance it is. */
class Conn {
  static made = 0;
  static disposed: Conn[] = [];
  readonly id = ++Conn.made;
  constructor(readonly url: string) {}
}

let undo: (() => void)[] = [];
afterEach(() => {
  for (const u of undo) u();
  undo = [];
});

function registerConn(options: Partial<ReconnectorOptions<Conn, { url: string }>> = {}) {
  undo.push(
    registerReconnector(Conn, {
      name: 'spec.Conn',
      extract: (c) => ({ url: c.url }),
      reconnect: async (m) => {
        await new Promise((r) => setTimeout(r, 5)); // an async reconnect
        return new Conn(m.url);
      },
      dispose: (c) => void Conn.disposed.push(c),
      ...options,
    }),
  );
}

/** A manual-mode job that saves `make()` as state, fails once, and reports what it resumed with. */
function stateJob(name: string, make: () => unknown, backend = new MemoryBackend()) {
  const seen: unknown[] = [];
  let fail = true;
  const job = safeState(
    async () => {
      const before = resumeState();
      seen.push(before);
      if (before === undefined) await checkpoint(make());
      if (fail) {
        fail = false;
        throw new Error('crash');
      }
    },
    { name, backend, autoIterate: false },
  );
  return { job, seen, backend };
}

describe('registerReconnector', () => {
  it('stores a live object as { reconnector, meta } and rebuilds it (async) before the body sees it', async () => {
    registerConn();
    const original = new Conn('db://a');
    const { job, seen } = stateJob('rc-basic', () => ({ conn: original, page: 3 }));
    await expect(job()).rejects.toThrow('crash');
    const cp = await job.peekCheckpoint();
    expect(cp!.state).toEqual({ conn: { reconnector: 'spec.Conn', meta: { url: 'db://a' } }, page: 3 });
    await job();
    const resumed = seen[1] as { conn: Conn; page: number };
    expect(resumed.conn).toBeInstanceOf(Conn);
    expect(resumed.conn.url).toBe('db://a');
    expect(resumed.conn.id).not.toBe(original.id); // a fresh object
    expect(resumed.page).toBe(3);
  });

  it('rebuilds a shared object once and keeps references and cycles', async () => {
    registerConn();
    const c = new Conn('db://shared');
    const { job, seen } = stateJob('rc-shared', () => {
      const s: Record<string, unknown> = { a: c, list: [c], byName: new Map([['main', c]]) };
      s.self = s;
      return s;
    });
    await expect(job()).rejects.toThrow('crash');
    const made = Conn.made;
    await job();
    const s = seen[1] as { a: Conn; list: Conn[]; byName: Map<string, Conn>; self: unknown };
    expect(Conn.made).toBe(made + 1);
    expect(s.list[0]).toBe(s.a);
    expect(s.byName.get('main')).toBe(s.a);
    expect(s.self).toBe(s);
  });

  it('a failing reconnect fails the resume with ReconnectError naming reconnector and path, with cause; the others are disposed', async () => {
    const boom = new Error('server gone');
    registerConn({ reconnect: async (m) => (m.url === 'db://bad' ? Promise.reject(boom) : new Conn(m.url)) });
    const { job, seen } = stateJob('rc-fail', () => ({ clients: [{ conn: new Conn('db://ok') }, { conn: new Conn('db://bad') }] }));
    await expect(job()).rejects.toThrow('crash');
    Conn.disposed = [];
    const err = await job().catch((e) => e);
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.code).toBe('RECONNECT_FAILED');
    expect(err.reconnector).toBe('spec.Conn');
    expect(err.path).toBe('state.clients[1].conn');
    expect(err.cause).toBe(boom);
    expect(err.message).toContain("reconnector 'spec.Conn' failed to rebuild state.clients[1].conn: server gone");
    expect(Conn.disposed.map((c) => c.url)).toEqual(['db://ok']);
    expect(seen).toHaveLength(1); // the body never ran
    expect((await job.peekCheckpoint())!.runCount).toBe(1); // the checkpoint is untouched
  });

  it('a sync throw in reconnect is reported the same way', async () => {
    registerConn({
      reconnect: () => {
        throw new TypeError('bad meta');
      },
    });
    const { job } = stateJob('rc-sync-throw', () => new Conn('x'));
    await expect(job()).rejects.toThrow('crash');
    const err = await job().catch((e) => e);
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.path).toBe('state');
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('a checkpoint naming a reconnector this process lacks fails the resume clearly, but peeks fine', async () => {
    registerConn();
    const { job } = stateJob('rc-missing', () => ({ db: new Conn('db://m') }));
    await expect(job()).rejects.toThrow('crash');
    for (const u of undo) u();
    undo = [];
    expect((await job.peekCheckpoint())!.state).toEqual({ db: { reconnector: 'spec.Conn', meta: { url: 'db://m' } } });
    const err = await job().catch((e) => e);
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.message).toMatch(/no reconnector named 'spec.Conn' is registered/);
    expect(err.path).toBe('state.db');
  });

  it('an extract that throws fails the save with UnserializableStateError naming path, type and reconnector', async () => {
    registerConn({
      extract: () => {
        throw new Error('not connected');
      },
    });
    const job = safeState(async () => checkpoint({ pool: { main: new Conn('x') } }), { name: 'rc-extract', backend: new MemoryBackend(), autoIterate: false });
    const err = await job().catch((e) => e);
    expect(err).toBeInstanceOf(UnserializableStateError);
    expect(err.message).toContain('state.pool.main (Conn)');
    expect(err.message).toContain("reconnector 'spec.Conn' cannot describe it: not connected");
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('unregistering makes the type unserializable again', async () => {
    registerConn();
    expect(unregisterReconnector('spec.Conn')).toBe(true);
    expect(unregisterReconnector('spec.Conn')).toBe(false);
    const job = safeState(async () => checkpoint({ c: new Conn('x') }), { name: 'rc-unreg', backend: new MemoryBackend(), autoIterate: false });
    await expect(job()).rejects.toThrow(/state\.c \(Conn\).*registered reconnector/);
  });

  it('a duplicate name is an error naming both registrations', () => {
    registerConn();
    class Other {}
    let err: unknown;
    try {
      registerReconnector(Other, { name: 'spec.Conn', extract: () => 1, reconnect: () => new Other() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidOptionsError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/already registered \(class Conn registered at .*registry\.spec\.ts:\d+\)/);
    expect(msg).toMatch(/this registration \(class Other registered at .*registry\.spec\.ts:\d+\)/);
    // a built-in name is taken too
    expect(() => registerReconnector(Other, { name: 'net.Socket', extract: () => 1, reconnect: () => new Other() })).toThrow(/built-in reconnector for net\.Socket/);
  });

  it('validates registrations', () => {
    const Anonymous = (() => class {})();
    expect(() => registerReconnector(Anonymous, { extract: () => 1, reconnect: () => new Anonymous() })).toThrow(/has no name, so pass a name/);
    expect(() => registerReconnector(Map, { name: 'm', extract: () => 1, reconnect: () => new Map() })).toThrow(/stored by devalue itself/);
    expect(() => registerReconnector(Conn, { name: 'has space', extract: () => 1, reconnect: () => new Conn('') })).toThrow(InvalidOptionsError);
    expect(() => registerReconnector(Conn, { name: 'x', extract: 1 as never, reconnect: () => new Conn('') })).toThrow(/extract/);
    expect(() => registerReconnector({ name: 'no-matches', extract: () => 1, reconnect: () => 1 } as never)).toThrow(/matches/);
  });

  it('defaults the name to the class name, and lists registrations', async () => {
    class Widget {
      constructor(readonly n: number) {}
    }
    undo.push(registerReconnector(Widget, { extract: (w) => w.n, reconnect: (n: number) => new Widget(n) }));
    const info = listReconnectors().find((r) => r.name === 'Widget');
    expect(info).toMatchObject({ builtin: false });
    expect(info!.origin).toMatch(/class Widget registered at .*registry\.spec\.ts/);
    expect(listReconnectors().filter((r) => r.builtin).map((r) => r.name)).toEqual(
      expect.arrayContaining(['better-sqlite3.Database', 'net.Socket', 'fs.WriteStream', 'fs.FileHandle', 'http.Agent', 'https.Agent', 'mysql2.Connection', 'mysql2.Pool', 'mysql2/promise.Connection', 'mysql2/promise.Pool', 'ioredis.Redis', 'knex']),
    );
    const { job, seen } = stateJob('rc-default-name', () => new Widget(7));
    await expect(job()).rejects.toThrow('crash');
    expect((await job.peekCheckpoint())!.state).toEqual({ reconnector: 'Widget', meta: 7 });
    await job();
    expect(seen[1]).toEqual(new Widget(7));
  });

  it('a predicate registration matches objects without a class; later registrations win over earlier and over built-ins', async () => {
    undo.push(
      registerReconnector({
        name: 'spec.handle',
        matches: (v) => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'handle',
        extract: (h: { target: string }) => h.target,
        reconnect: (t: string) => ({ kind: 'handle', target: t, fresh: true }),
      }),
    );
    class Base {
      constructor(readonly v: string) {}
    }
    class Sub extends Base {}
    undo.push(registerReconnector(Base, { name: 'spec.Base', extract: (b) => b.v, reconnect: (v: string) => new Base(v) }));
    undo.push(registerReconnector(Sub, { name: 'spec.Sub', extract: (b) => b.v, reconnect: (v: string) => new Sub(v) }));
    const { job, seen } = stateJob('rc-predicate', () => ({ h: { kind: 'handle', target: 't1' }, b: new Base('b'), s: new Sub('s') }));
    await expect(job()).rejects.toThrow('crash');
    const st = (await job.peekCheckpoint())!.state as Record<string, { reconnector: string }>;
    expect([st.h.reconnector, st.b.reconnector, st.s.reconnector]).toEqual(['spec.handle', 'spec.Base', 'spec.Sub']);
    await job();
    const r = seen[1] as { h: unknown; b: Base; s: Sub };
    expect(r.h).toEqual({ kind: 'handle', target: 't1', fresh: true });
    expect(r.b).toBeInstanceOf(Base);
    expect(r.s).toBeInstanceOf(Sub);
  });

  it('lives on the global registry object, shared by every loaded copy', () => {
    registerConn();
    const g = (globalThis as unknown as Record<symbol, { reconnectors: Map<string, { name: string; v: number }> }>)[Symbol.for('safe-state.global-registry.v1')];
    expect(g.reconnectors.get('spec.Conn')).toMatchObject({ name: 'spec.Conn', v: 1 });
    // a second copy of the module (fresh module registry) sees the same registrations
    jest.isolateModules(() => {
      const copy = require('../../lib/reconnect/registry') as typeof import('../../lib/reconnect/registry');
      expect(copy.listReconnectors().some((r) => r.name === 'spec.Conn')).toBe(true);
      expect(() => copy.registerReconnector(Conn, { name: 'spec.Conn', extract: () => 1, reconnect: () => new Conn('') })).toThrow(/already registered/);
    });
  });
});

describe('frozen instance fields and stored results with live objects', () => {
  it('are saved as descriptors, peeked inert, and rebuilt on demand in the next run', async () => {
    registerConn();
    const backend = new MemoryBackend();
    let fail = true;
    const seen: { frozen?: unknown; results?: ReadonlyMap<unknown, unknown> } = {};
    class Importer {
      db = new Conn('db://frozen');
      cursor = 'c-1';
      @SafeState({ name: 'rc-frozen', backend, storeResults: true })
      async run(xs: number[]) {
        if (!fail) {
          seen.frozen = await resumeFrozenState();
          seen.results = await resumeResults();
          expect(await resumeFrozenState()).toBe(seen.frozen); // rebuilt once
        }
        for (const x of xs) {
          record({ x, via: this.db });
          if (x === 2 && fail) throw new Error('crash');
        }
      }
    }
    await expect(new Importer().run([0, 1, 2, 3])).rejects.toThrow('crash');
    const cp = await SafeState.of(new Importer(), 'run').peekCheckpoint();
    expect(cp!.frozenState).toEqual({ db: { reconnector: 'spec.Conn', meta: { url: 'db://frozen' } }, cursor: 'c-1' });
    expect(cp!.results.get(0)).toEqual({ x: 0, via: { reconnector: 'spec.Conn', meta: { url: 'db://frozen' } } });
    fail = false;
    const made = Conn.made;
    await new Importer().run([0, 1, 2, 3]);
    // the new instance's field, then the frozen field and the three results (item 2's record() ran before it failed)
    expect(Conn.made).toBe(made + 1 + 1 + 3);
    const frozen = seen.frozen as { db: Conn; cursor: string };
    expect(frozen.db).toBeInstanceOf(Conn);
    expect(frozen.cursor).toBe('c-1');
    expect([...seen.results!.keys()]).toEqual([0, 1, 2]);
    expect((seen.results!.get(1) as { via: Conn }).via).toBeInstanceOf(Conn);
  });

  it('a fresh run has no frozen state and no results', async () => {
    const job = safeState(
      async () => {
        expect(await resumeFrozenState()).toBeUndefined();
        expect((await resumeResults()).size).toBe(0);
      },
      { name: 'rc-fresh', backend: new MemoryBackend(), autoIterate: false },
    );
    await job();
  });
});

describe('driver packages', () => {
  it('importing safe-state loads no driver package', () => {
    const script = path.join(__dirname, '..', 'fixtures', 'drivers-loaded.ts');
    const r = spawnSync(TS_NODE[0], [...TS_NODE.slice(1), script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ loaded: [], reconnectors: 12 });
  });
});
