/**
 * The engine side of `workers: 'shared'`, with several workers in this process (each with a
 * backend of its own, as separate processes would have): every item once, the end seen by every
 * worker, input checks, failures, early stops, inspection.
 */
import { safeState, idempotent, concurrently, MemoryBackend, InvalidOptionsError, InputChangedError, type StateBackend } from '../../lib/index';
import { range } from '../helpers';
import { SHARED_KINDS, namespace, openShared, type SharedKind } from './targets';
import { tempDir } from '../helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function optionError(fn: () => unknown): InvalidOptionsError {
  try {
    fn();
  } catch (e) {
    if (InvalidOptionsError.is(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('workers: shared options', () => {
  it('refuses key, autoIterate: false, storeResults and a short lease, naming the option', () => {
    const f = async (xs: number[]) => xs;
    expect(optionError(() => safeState(f, { name: 'x', workers: 'shared', key: (x: number) => x })).option).toBe('key');
    expect(optionError(() => safeState(f, { name: 'x', workers: 'shared', autoIterate: false })).option).toBe('autoIterate');
    expect(optionError(() => safeState(f, { name: 'x', workers: 'shared', storeResults: true })).option).toBe('storeResults');
    expect(optionError(() => safeState(f, { name: 'x', workers: 'shared', leaseMs: 50 })).option).toBe('leaseMs');
  });

  it('refuses a missing backend or one without a chunk store, naming workers', () => {
    const f = async (xs: number[]) => xs;
    expect(optionError(() => safeState(f, { name: 'mem', workers: 'shared', backend: new MemoryBackend() })).message).toMatch(/MemoryBackend has no sharedChunks/);
    expect(optionError(() => safeState(f, { name: 'none', workers: 'shared' })).option).toBe('workers');
  });

  it('@Idempotent({ key }) without a cache inside a shared job claims per key in the job\'s backend: workers at once, one effect per key', async () => {
    const ns = namespace();
    const dir = tempDir();
    const backends = [openShared('sqlite', ns, dir), openShared('sqlite', ns, dir)];
    try {
      const effects = new Map<string, number>();
      const send = idempotent(
        async (x: number) => {
          const k = String(x % 3);
          effects.set(k, (effects.get(k) ?? 0) + 1);
          await sleep(5);
          return `sent ${x % 3}`;
        },
        { name: 'send', key: (x: number) => String(x % 3) },
      );
      const answers: string[] = [];
      const worker = (backend: StateBackend) =>
        safeState(async (xs: number[]) => { for await (const x of xs) answers.push(await send(x)); }, { name: 'idem', workers: 'shared', backend, chunkSize: 2 });
      await Promise.all(backends.map((b) => worker(b)(range(12))));
      expect([...effects.entries()].sort()).toEqual([['0', 1], ['1', 1], ['2', 1]]);
      expect(answers.sort()).toEqual(range(12).map((x) => `sent ${x % 3}`).sort());
    } finally {
      await Promise.all(backends.map((b) => b.close()));
    }
  });

  it('refuses an async iterable (positions must mean the same items in every worker)', async () => {
    const backend = openShared('sqlite', namespace());
    try {
      const job = safeState(async (xs: AsyncIterable<number>) => { for await (const x of xs) void x; }, { name: 'async', workers: 'shared', backend });
      async function* gen() { yield 1; }
      const e = await job(gen()).catch((x: unknown) => x);
      expect(InvalidOptionsError.is(e) && e.option).toBe('workers');
    } finally {
      await backend.close();
    }
  });
});

describe.each(SHARED_KINDS)('shared workers on %s', (kind: SharedKind) => {
  const ns = namespace();
  const dir = tempDir();
  const backends: StateBackend[] = [];
  const open = () => {
    const b = openShared(kind, ns, dir);
    backends.push(b);
    return b;
  };
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });

  /** A worker: a job function over its own backend that logs what it processed. */
  function worker(name: string, log: number[], extra: Record<string, unknown> = {}, body?: (xs: number[], log: number[]) => Promise<unknown>) {
    return safeState(
      body ? (xs: number[]) => body(xs, log) : async (xs: number[]) => {
        for await (const x of xs) {
          await sleep(1);
          log.push(x);
        }
        return 'ok';
      },
      { name, workers: 'shared', chunkSize: 7, leaseMs: 2_000, backend: open(), ...extra },
    );
  }

  it('three workers process every item exactly once; a later worker returns at once; peek, then clear', async () => {
    const name = `all ${kind}`;
    const items = range(100);
    const logs: number[][] = [[], [], []];
    const results = await Promise.all(logs.map((log) => worker(name, log)(items)));
    expect(results).toEqual(['ok', 'ok', 'ok']);
    const all = logs.flat().sort((a, b) => a - b);
    expect(all).toEqual(items);
    expect(logs.filter((l) => l.length > 0).length).toBeGreaterThan(1);

    const late: number[] = [];
    const w = worker(name, late);
    expect(await w(items)).toBeUndefined();
    expect(late).toEqual([]);
    const cp = await w.peekCheckpoint();
    expect(cp?.complete).toBe(true);
    expect(cp?.progress()).toBe(1);
    expect(cp?.completedIndices.size).toBe(100);
    expect(cp?.runCount).toBe(4);
    await w.clearCheckpoint();
    expect(await w.peekCheckpoint()).toBeNull();
    const again: number[] = [];
    await worker(name, again)(items);
    expect(again).toEqual(items);
  });

  it('concurrently() inside a shared job runs every item once across workers', async () => {
    const name = `conc ${kind}`;
    const items = range(60);
    const logs: number[][] = [[], []];
    await Promise.all(logs.map((log) => worker(name, log, {}, async (xs, l) => {
      await concurrently(xs, 4, async (x: number, i: number) => {
        expect(x).toBe(i);
        await sleep(2);
        l.push(x);
      });
    })(items)));
    expect(logs.flat().sort((a, b) => a - b)).toEqual(items);
  });

  it('a failing worker records the failure, re-throws it and gives its chunk back; another worker finishes', async () => {
    const name = `fail ${kind}`;
    const items = range(30);
    const boom = new Error('boom at 10');
    const failing: number[] = [];
    const w1 = worker(name, failing, {}, async (xs, l) => {
      for await (const x of xs) {
        if (x === 10) throw boom;
        l.push(x);
      }
    });
    await expect(w1(items)).rejects.toBe(boom);
    const cp = await w1.peekCheckpoint();
    expect(cp?.lastFailure?.message).toBe('boom at 10');
    expect(cp?.lastFailure?.index).toBe(10);
    expect(cp?.complete).toBe(false);
    const rest: number[] = [];
    const t0 = Date.now();
    await worker(name, rest)(items);
    expect(Date.now() - t0).toBeLessThan(1_500); // the chunk was given back: no wait for its lease
    expect([...failing, ...rest].sort((a, b) => a - b)).toEqual(items);
    expect(rest).toContain(10);
  });

  it('a worker that breaks out gives its chunks back; one that iterates with for..of gets a TypeError', async () => {
    const name = `break ${kind}`;
    const items = range(20);
    const first: number[] = [];
    await worker(name, first, {}, async (xs, l) => {
      for await (const x of xs) {
        if (x === 3) break;
        l.push(x);
      }
    })(items);
    expect(first).toEqual([0, 1, 2]);
    const e = await worker(name, [], {}, async (xs) => {
      for (const x of xs) void x;
    })(items).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TypeError);
    expect(String((e as Error).message)).toMatch(/for await/);
    const rest: number[] = [];
    await worker(name, rest)(items);
    expect(rest).toEqual(range(17).map((i) => i + 3));
  });

  it('refuses a worker whose input differs from the shared job (count or items)', async () => {
    const name = `input ${kind}`;
    const slow = worker(name, [], {}, async (xs, l) => {
      for await (const x of xs) {
        l.push(x);
        if (l.length === 1) break;
      }
    });
    await slow(range(30));
    await expect(worker(name, [])(range(31))).rejects.toBeInstanceOf(InputChangedError);
    const changed = range(30);
    changed[2] = 99;
    await expect(worker(name, [])(changed)).rejects.toBeInstanceOf(InputChangedError);
  });

  it('accepts a Set (read into positions) and hands its items out', async () => {
    const name = `set ${kind}`;
    const set = new Set(range(15).map((i) => `s${i}`));
    const seen: unknown[] = [];
    await safeState(async (xs: Set<string>) => {
      for await (const x of xs as unknown as AsyncIterable<string>) seen.push(x);
    }, { name, workers: 'shared', chunkSize: 4, backend: open() })(set);
    expect(seen).toEqual([...set]);
  });
});

describe('a worker that loses its lease', () => {
  it('drops the chunk: its late completion is not counted, the new holder runs the rest, nothing is lost', async () => {
    const ns = namespace();
    const a = openShared('redis', ns);
    const b = openShared('redis', ns);
    try {
      // worker A's renewals do nothing, as when its event loop is starved
      const store = a.sharedChunks!();
      const starved = Object.assign(Object.create(store) as object, { renew: async () => true });
      (a as { sharedChunks?: unknown }).sharedChunks = () => starved;
      const warnings: string[] = [];
      const logA = { info: () => undefined, warn: (m: string) => warnings.push(m) };
      const seenA: number[] = [];
      const seenB: number[] = [];
      const items = range(10);
      const wA = safeState(async (xs: number[]) => {
        for await (const x of xs) {
          if (x === 2) await sleep(900); // the lease (300 ms) runs out meanwhile
          seenA.push(x);
        }
      }, { name: 'lost lease', workers: 'shared', chunkSize: 5, leaseMs: 300, backend: a, verbose: logA });
      const wB = safeState(async (xs: number[]) => {
        for await (const x of xs) {
          await sleep(5);
          seenB.push(x);
        }
      }, { name: 'lost lease', workers: 'shared', chunkSize: 5, leaseMs: 300, backend: b });
      const runA = wA(items);
      await sleep(450);
      await wB(items);
      await runA;
      expect([...seenA, ...seenB].sort((x, y) => x - y)).toEqual([0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(seenA.slice(0, 3)).toEqual([0, 1, 2]); // A's item 2 ran, but its completion was refused
      expect(seenB).toContain(2);
      expect(warnings.join('\n')).toMatch(/chunk 0 \[0, 5\) was dropped/);
      const cp = await wB.peekCheckpoint();
      expect(cp?.complete).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
