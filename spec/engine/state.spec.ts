import * as net from 'node:net';
import {
  SafeState, safeState, MemoryBackend, checkpoint, resumeState, record, NoActiveJobError, UnserializableStateError,
  InputChangedError, SafeStateError,
} from '../../lib/index';
import { range } from '../helpers';

describe('checkpoint() and resumeState()', () => {
  it('manual mode persists state now and hands it back on resume', async () => {
    const backend = new MemoryBackend();
    const visited: string[] = [];
    class Crawl {
      @SafeState({ name: 'crawl', backend, autoIterate: false })
      async run(start: string, failAfter: number) {
        const s = resumeState<{ queue: string[]; seen: Set<string>; at: Date }>() ?? { queue: [start], seen: new Set<string>(), at: new Date(0) };
        expect(s.seen).toBeInstanceOf(Set);
        expect(s.at).toBeInstanceOf(Date);
        while (s.queue.length) {
          const page = s.queue.shift()!;
          if (visited.length === failAfter) throw new Error('network');
          visited.push(page);
          s.seen.add(page);
          const n = Number(page.slice(1));
          if (n < 6) s.queue.push(`p${n + 1}`);
          await checkpoint(s);
        }
        return s.seen.size;
      }
    }
    await expect(new Crawl().run('p0', 3)).rejects.toThrow('network');
    expect(visited).toEqual(['p0', 'p1', 'p2']);
    const cp = await SafeState.of(new Crawl(), 'run').peekCheckpoint();
    expect((cp!.state as { seen: Set<string> }).seen).toEqual(new Set(['p0', 'p1', 'p2']));
    expect(await new Crawl().run('p0', -1)).toBe(7);
    expect(visited).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  it('auto mode attaches state to the next save; state is captured at the call', async () => {
    const backend = new MemoryBackend();
    const job = safeState(
      async (xs: number[]) => {
        const total = { sum: resumeState<{ sum: number }>()?.sum ?? 0 };
        for (const x of xs) {
          if (x === 4 && total.sum < 100) throw new Error('stop');
          total.sum += x;
          await checkpoint(total);
          total.sum += 0;
        }
        return total.sum;
      },
      { name: 'auto-state', backend },
    );
    await expect(job(range(8))).rejects.toThrow('stop');
    expect((await job.peekCheckpoint())!.state).toEqual({ sum: 6 });
  });

  it('names the property path and type of an unserializable value', async () => {
    const socket = new net.Socket();
    const job = safeState(
      async (_x: number[]) => {
        await checkpoint({ client: { socket } });
      },
      { name: 'unserializable', backend: new MemoryBackend(), autoIterate: false },
    );
    let err: unknown;
    try {
      await job([]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnserializableStateError);
    expect((err as Error).message).toContain('state.client.socket (Socket)');
    expect((err as UnserializableStateError).code).toBe('UNSERIALIZABLE_STATE');
    const fnJob = safeState(async () => checkpoint({ list: [1, () => 2] }), { name: 'unser-fn', backend: new MemoryBackend(), autoIterate: false });
    await expect(fnJob()).rejects.toThrow('state.list[1] (Function)');
  });

  it('checkpoint(), record() and resumeState() outside a job throw NoActiveJobError', async () => {
    await expect(checkpoint({})).rejects.toBeInstanceOf(NoActiveJobError);
    expect(() => record(1)).toThrow(NoActiveJobError);
    expect(() => resumeState()).toThrow(NoActiveJobError);
    try {
      record(1);
    } catch (e) {
      expect((e as SafeStateError).code).toBe('NO_ACTIVE_JOB');
      expect((e as Error).message).toContain('record()');
    }
  });

  it('carries the running job through async calls below the body (AsyncLocalStorage)', async () => {
    const backend = new MemoryBackend();
    async function helper(v: number) {
      await new Promise((r) => setTimeout(r, 1));
      await checkpoint({ last: v });
    }
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) {
          await helper(x);
          if (x === 2) throw new Error('x');
        }
      },
      { name: 'als', backend },
    );
    await expect(job(range(5))).rejects.toThrow('x');
    expect((await job.peekCheckpoint())!.state).toEqual({ last: 2 });
  });
});

describe('failure records', () => {
  it('keeps lastFailure and the instance fields as frozenState, best effort', async () => {
    const backend = new MemoryBackend();
    class Importer {
      page = 7;
      cursor = new Map([['a', 1]]);
      sock = new net.Socket();
      @SafeState({ name: 'frozen', backend })
      async run(xs: number[]) {
        for (const x of xs) if (x === 2) throw new RangeError('bad row');
      }
    }
    const original = new RangeError('x');
    await expect(new Importer().run(range(4))).rejects.toThrow(RangeError);
    const cp = await SafeState.of(new Importer(), 'run').peekCheckpoint();
    expect(cp!.lastFailure).toMatchObject({ index: 2, name: 'RangeError', message: 'bad row' });
    expect(typeof cp!.lastFailure!.at).toBe('string');
    expect(cp!.lastFailure!.stack).toContain('bad row');
    expect(cp!.frozenState).toEqual({ page: 7, cursor: new Map([['a', 1]]), sock: { unserializable: 'Socket' } });
    void original;
  });

  it('re-throws the very same error object, also non-Error values', async () => {
    const thrown = { weird: true };
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) if (x === 1) throw thrown;
      },
      { name: 'non-error', backend: new MemoryBackend() },
    );
    await expect(job(range(3))).rejects.toBe(thrown);
    expect((await job.peekCheckpoint())!.lastFailure).toMatchObject({ index: 1, name: 'Object', message: '[object Object]' });
  });
});

describe('record() and storeResults', () => {
  it('stores each item result beside the progress record and keeps them with keepOnSuccess', async () => {
    const backend = new MemoryBackend();
    let fail = true;
    const job = safeState(
      async (urls: string[]) => {
        for (const u of urls) {
          if (u === 'c' && fail) throw new Error('down');
          record({ url: u, size: u.charCodeAt(0) });
        }
      },
      { name: 'results', backend, storeResults: true, keepOnSuccess: true },
    );
    await expect(job(['a', 'b', 'c', 'd'])).rejects.toThrow('down');
    let cp = await job.peekCheckpoint();
    expect([...cp!.results.keys()]).toEqual([0, 1]);
    fail = false;
    await job(['a', 'b', 'c', 'd']);
    cp = await job.peekCheckpoint();
    expect(cp!.complete).toBe(true);
    expect(cp!.results.get(3)).toEqual({ url: 'd', size: 100 });
    expect(cp!.results.size).toBe(4);
    expect(cp!.lastFailure?.message).toBe('down'); // kept as history
    expect(cp!.progress()).toBe(1);
  });

  it('record() outside an item fails clearly', async () => {
    const job = safeState(async (xs: number[]) => {
      record(1);
      for (const x of xs) void x;
    }, { name: 'record-outside', backend: new MemoryBackend(), storeResults: true });
    await expect(job([1])).rejects.toMatchObject({ code: 'NO_ACTIVE_ITEM' });
  });
});

describe('runs, completion and input changes', () => {
  it('counts every run and keeps a completed checkpoint with keepOnSuccess', async () => {
    const backend = new MemoryBackend();
    let failAt = 1;
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) if (x === failAt) throw new Error('f');
      },
      { name: 'runs', backend, keepOnSuccess: true },
    );
    await expect(job(range(5))).rejects.toThrow();
    failAt = 3;
    await expect(job(range(5))).rejects.toThrow();
    expect((await job.peekCheckpoint())!.runCount).toBe(2);
    failAt = -1;
    await job(range(5));
    const cp = await job.peekCheckpoint();
    expect(cp!.runCount).toBe(3);
    expect(cp!.complete).toBe(true);
    expect(cp!.completedIndices.size).toBe(5);
    expect([...cp!.completedIndices]).toEqual(range(5));
  });

  it('refuses a resume when the item count changed', async () => {
    const backend = new MemoryBackend();
    let failAt = 3;
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) if (x === failAt) throw new Error('f');
      },
      { name: 'count-changed', backend },
    );
    await expect(job(range(10))).rejects.toThrow('f');
    failAt = -1;
    const err = await job(range(11)).catch((e) => e);
    expect(err).toBeInstanceOf(InputChangedError);
    expect(err.message).toMatch(/had 10 items, now 11/);
    expect(err.message).toMatch(/clear/i);
    expect(err.message).toMatch(/key/);
    // the checkpoint is untouched by the refused run
    expect((await job.peekCheckpoint())!.runCount).toBe(1);
  });

  it('refuses a resume when the first items changed, for arrays and for generators', async () => {
    const backend = new MemoryBackend();
    let failAt = 3;
    const job = safeState(
      async (xs: Iterable<{ id: number }>) => {
        for (const x of xs) if (x.id === failAt) throw new Error('f');
      },
      { name: 'items-changed', backend },
    );
    const rows = range(6).map((id) => ({ id }));
    await expect(job(rows)).rejects.toThrow('f');
    failAt = -1;
    const changed = rows.map((r) => ({ ...r }));
    changed[1] = { id: 100 };
    await expect(job(changed)).rejects.toBeInstanceOf(InputChangedError);
    // an undone item may change freely
    const later = rows.map((r) => ({ ...r }));
    later[5] = { id: 55 };
    await job(later);

    failAt = 3;
    function* gen(list: { id: number }[]) {
      yield* list;
    }
    await expect(job(gen(rows))).rejects.toThrow('f');
    failAt = -1;
    const seen: number[] = [];
    const spy = safeState(
      async (xs: Iterable<{ id: number }>) => {
        for (const x of xs) seen.push(x.id);
      },
      { name: 'items-changed', backend },
    );
    await expect(spy(gen(changed))).rejects.toBeInstanceOf(InputChangedError);
    expect(seen).toEqual([]); // checked before the body got its first item
    await spy(gen(rows));
    expect(seen).toEqual([3, 4, 5]);
  });

  it('with key, resumes by identity across reordered, extended and trimmed input', async () => {
    const backend = new MemoryBackend();
    let failAt = 'c';
    const seen: string[] = [];
    const job = safeState(
      async (xs: { id: string }[]) => {
        for (const x of xs) {
          if (x.id === failAt) throw new Error('f');
          seen.push(x.id);
        }
      },
      { name: 'keyed', backend, key: (x: { id: string }) => x.id },
    );
    await expect(job(['a', 'b', 'c', 'd'].map((id) => ({ id })))).rejects.toThrow('f');
    expect(seen).toEqual(['a', 'b']);
    failAt = '';
    seen.length = 0;
    await job(['e', 'b', 'd', 'c', 'a'].map((id) => ({ id })));
    expect(seen).toEqual(['e', 'd', 'c']);
  });

  it('refuses a resume when the key option was added since', async () => {
    const backend = new MemoryBackend();
    const plain = safeState(async (xs: number[]) => {
      for (const x of xs) if (x === 2) throw new Error('f');
    }, { name: 'key-added', backend });
    await expect(plain(range(4))).rejects.toThrow('f');
    const keyed = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'key-added', backend, key: (x: number) => x });
    await expect(keyed(range(4))).rejects.toBeInstanceOf(InputChangedError);
  });
});

describe('saveEvery and saveIntervalMs', () => {
  it('saves every N items; a failure still saves everything that completed', async () => {
    const backend = new MemoryBackend();
    const saves: string[] = [];
    const orig = backend.appendSync.bind(backend);
    backend.appendSync = (job, records) => {
      saves.push(records);
      orig(job, records);
    };
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) if (x === 25) throw new Error('f');
    }, { name: 'every', backend, saveEvery: 10 });
    await expect(job(range(30))).rejects.toThrow('f');
    const progress = saves.filter((s) => s.startsWith('+'));
    expect(progress.map((s) => s.split(' ')[0])).toEqual(['+0-9', '+10-19']);
    expect((await job.peekCheckpoint())!.completedIndices.size).toBe(25);
  });

  it('also saves when saveIntervalMs passed', async () => {
    const backend = new MemoryBackend();
    let appends = 0;
    const orig = backend.appendSync.bind(backend);
    backend.appendSync = (job, records) => {
      if (records.startsWith('+')) appends++;
      orig(job, records);
    };
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) {
        void x;
        await new Promise((r) => setTimeout(r, 15));
      }
    }, { name: 'interval', backend, saveEvery: 1000, saveIntervalMs: 10 });
    await job(range(5));
    expect(appends).toBeGreaterThanOrEqual(3);
  });
});
