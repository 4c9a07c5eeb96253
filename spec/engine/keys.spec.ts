import { safeState, MemoryBackend, InvalidOptionsError, InputChangedError, CheckpointCorruptError, concurrently, record, type ItemKey } from '../../lib/index';
import { KeyProgress } from '../../lib/progress/key-progress';
import { formatRanges } from '../../lib/progress/ranges';
import { range } from '../helpers';

type Row = { id: ItemKey };
const rows = (...ids: ItemKey[]): Row[] => ids.map((id) => ({ id }));
type Loop = 'for-of' | 'for-await' | 'generator' | 'async-generator' | 'concurrently';
const LOOPS: Loop[] = ['for-of', 'for-await', 'generator', 'async-generator', 'concurrently'];

/** A keyed job (key: row.id) that throws at the rows in `failOn` (once each) and records what ran. */
function keyedJob(name: string, loop: Loop, backend = new MemoryBackend()) {
  const ran: ItemKey[] = [];
  const failOn = new Set<ItemKey>();
  const visit = async (r: Row) => {
    if (failOn.delete(r.id)) throw new Error(`fail ${String(r.id)}`);
    ran.push(r.id);
  };
  const job = safeState(async (xs: Iterable<Row> | AsyncIterable<Row>) => {
    if (loop === 'concurrently') await concurrently(xs, 1, visit);
    else if (loop === 'for-of' || loop === 'generator') for (const r of xs as Iterable<Row>) await visit(r);
    else for await (const r of xs) await visit(r);
  }, { name, backend, key: (r: Row) => r.id });
  const input = (list: Row[]): Iterable<Row> | AsyncIterable<Row> => {
    if (loop === 'generator') return (function* () { yield* list; })();
    if (loop === 'async-generator') return (async function* () { for (const r of list) yield r; })();
    return list;
  };
  return { job, ran, failOn, run: (list: Row[]) => job(input(list)), backend };
}

describe('the key option', () => {
  it.each(LOOPS)('%s: done keys are skipped and new items run when the input was reordered, extended and trimmed', async (loop) => {
    const k = keyedJob(`keys-reorder-${loop}`, loop);
    k.failOn.add('c');
    await expect(k.run(rows('a', 'b', 'c', 'd', 'e'))).rejects.toThrow('fail c');
    expect(k.ran).toEqual(['a', 'b']);
    k.ran.length = 0;
    k.failOn.add('f');
    // reordered, 'a' trimmed, 'f' and 'g' new
    await expect(k.run(rows('g', 'e', 'b', 'f', 'c', 'd'))).rejects.toThrow('fail f');
    expect(k.ran).toEqual(['g', 'e']);
    expect(new Set((await k.job.peekCheckpoint())!.completedKeys)).toEqual(new Set(['a', 'b', 'g', 'e']));
    k.ran.length = 0;
    await k.run(rows('d', 'c', 'b', 'f', 'h'));
    expect(k.ran).toEqual(['d', 'c', 'f', 'h']);
    expect(await k.job.peekCheckpoint()).toBeNull();
  });

  it.each(LOOPS)('%s: a duplicate key runs once; the later occurrence is skipped once the first completed', async (loop) => {
    const k = keyedJob(`keys-dup-${loop}`, loop);
    await k.run(rows('a', 'b', 'a', 'c', 'b', 'a'));
    expect(k.ran).toEqual(['a', 'b', 'c']);
  });

  it('a duplicate of a key whose first occurrence failed runs again on the next run', async () => {
    const k = keyedJob('keys-dup-failed', 'for-of');
    k.failOn.add('a');
    await expect(k.run(rows('x', 'a', 'b', 'a'))).rejects.toThrow('fail a');
    await k.run(rows('x', 'a', 'b', 'a'));
    expect(k.ran).toEqual(['x', 'a', 'b']);
  });

  it('keys are compared by type and value: 1 and "1" are different items', async () => {
    const k = keyedJob('keys-types', 'for-of');
    k.failOn.add('stop');
    await expect(k.run(rows(1, 'x', -2.5, 'stop'))).rejects.toThrow();
    k.ran.length = 0;
    await k.run(rows('1', 1, 'x', 'X', -2.5, 2.5, 'stop'));
    expect(k.ran).toEqual(['1', 'X', 2.5, 'stop']);
  });

  const invalid: Array<[string, unknown]> = [
    ['undefined', undefined], ['null', null], ['an object', { id: 1 }], ['NaN', NaN], ['Infinity', Infinity], ['a boolean', true],
    ['a bigint', 1n], ['a symbol', Symbol('k')], ['an array', [1]],
  ];
  it.each(invalid)('a key function returning %s fails with InvalidOptionsError naming key', async (_label, bad) => {
    for (const loop of LOOPS) {
      const ran: unknown[] = [];
      const job = safeState(async (xs: Iterable<number> | AsyncIterable<number>) => {
        if (loop === 'concurrently') await concurrently(xs, 2, async (x) => void ran.push(x));
        else if (loop === 'for-of' || loop === 'generator') for (const x of xs as Iterable<number>) ran.push(x);
        else for await (const x of xs) ran.push(x);
      }, { name: `keys-invalid-${loop}`, backend: new MemoryBackend(), key: (x: number) => (x === 2 ? bad : x) as ItemKey });
      const input = loop === 'generator' ? (function* () { yield* range(4); })() : loop === 'async-generator' ? (async function* () { yield* range(4); })() : range(4);
      const err = await job(input).catch((e: unknown) => e);
      expect({ loop, isInvalid: err instanceof InvalidOptionsError }).toEqual({ loop, isInvalid: true });
      expect(err).toMatchObject({ option: 'key', code: 'INVALID_OPTIONS' });
      expect((err as Error).message).toMatch(/^key: .*item 2.*string or a finite number/);
      expect(ran).toEqual([0, 1]);
      // items before it are saved as done; the bad item and the rest are not
      expect(new Set((await job.peekCheckpoint())!.completedKeys)).toEqual(new Set([0, 1]));
    }
  });

  it('an error thrown by the key function itself is re-thrown unchanged', async () => {
    const boom = new Error('no id');
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'keys-throws', backend: new MemoryBackend(), key: (x: number) => {
      if (x === 1) throw boom;
      return x;
    } });
    await expect(job([0, 1, 2])).rejects.toBe(boom);
  });

  it('calls the key function once per item handed to the body', async () => {
    const calls: number[] = [];
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'keys-once', backend: new MemoryBackend(), key: (x: number, i: number) => {
      calls.push(i);
      return x;
    } });
    await job(range(5));
    expect(calls).toEqual(range(5));
  });

  it('a checkpoint written with key cannot be resumed without it', async () => {
    const backend = new MemoryBackend();
    const keyed = safeState(async (xs: number[]) => {
      for (const x of xs) if (x === 2) throw new Error('f');
    }, { name: 'keys-removed', backend, key: (x: number) => x });
    await expect(keyed(range(4))).rejects.toThrow('f');
    const plain = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'keys-removed', backend });
    await expect(plain(range(4))).rejects.toBeInstanceOf(InputChangedError);
  });

  it('record() with key stores results by key', async () => {
    const job = safeState(async (xs: Row[]) => {
      for (const x of xs) record(`r-${String(x.id)}`);
    }, { name: 'keys-results', backend: new MemoryBackend(), key: (r: Row) => r.id, storeResults: true, keepOnSuccess: true });
    await job(rows('a', 7));
    expect([...(await job.peekCheckpoint())!.results]).toEqual([['a', 'r-a'], [7, 'r-7']]);
  });

  describe('compact snapshot', () => {
    /** Runs a keyed job over `ids` that fails after the last one, and answers the snapshot line. */
    async function snapshotOf(name: string, ids: ItemKey[]) {
      const backend = new MemoryBackend();
      const job = safeState(async (xs: Row[]) => {
        for (const x of xs) void x;
        throw new Error('end'); // the failure save is a full rewrite: the snapshot holds every key
      }, { name, backend, key: (r: Row) => r.id });
      await expect(job(rows(...ids))).rejects.toThrow('end');
      const text = (await backend.load(name))!;
      return { backend, job, text, snap: JSON.parse(text.split('\n')[0]) as Record<string, unknown> };
    }

    it('stores non-negative integer keys as ranges and the rest as a JSON array (format 2)', async () => {
      const ids: ItemKey[] = [...range(100_000).map((i) => i + 1), 100_005, 100_006, 'u-1', -3, 0.5, 2 ** 60, 'line\nbreak', '\ud800'];
      const { snap, text, job } = await snapshotOf('keys-compact', ids);
      expect(snap.safestate).toBe(2);
      expect(snap.kn).toBe('1-100000,100005-100006');
      expect(snap.keys).toEqual(['u-1', -3, 0.5, 2 ** 60, 'line\nbreak', '\ud800']);
      // 100,000 keys in a few hundred bytes (as a JSON array: about 700 kB)
      expect(text.split('\n')[0].length - JSON.stringify(snap.failure).length).toBeLessThan(400);
      const cp = (await job.peekCheckpoint())!;
      expect(new Set(cp.completedKeys)).toEqual(new Set(ids));
    });

    it('a job without key still writes format 1', async () => {
      const backend = new MemoryBackend();
      const job = safeState(async (xs: number[]) => {
        for (const x of xs) void x;
        throw new Error('end');
      }, { name: 'keys-v1', backend });
      await expect(job(range(3))).rejects.toThrow('end');
      expect(JSON.parse((await backend.load('keys-v1'))!.split('\n')[0]).safestate).toBe(1);
    });

    it('reads a format-1 keyed checkpoint (keys as one array) and resumes it', async () => {
      const backend = new MemoryBackend();
      const snap = {
        safestate: 1, job: 'keys-legacy', total: 4, fp: [], runs: 1, complete: false, created: 1, updated: 1, w: 0, s: '',
        keys: [0, 'b'], failure: null, state: null, frozen: null,
      };
      await backend.save('keys-legacy', JSON.stringify(snap) + '\nk[2] 5\n');
      const ran: ItemKey[] = [];
      const job = safeState(async (xs: Row[]) => {
        for (const x of xs) ran.push(x.id);
      }, { name: 'keys-legacy', backend, key: (r: Row) => r.id });
      await job(rows(0, 'b', 2, 3));
      expect(ran).toEqual([3]);
    });

    it('a key range of four billion keys is held as one range: nothing is allocated per key, done keys are skipped', async () => {
      const backend = new MemoryBackend();
      const snap = {
        safestate: 2, job: 'keys-huge', total: 4, fp: [], runs: 1, complete: false, created: 1, updated: 1, w: 0, s: '',
        kn: '0-4000000000', keys: [], failure: null, state: null, frozen: null,
      };
      await backend.save('keys-huge', JSON.stringify(snap) + '\n');
      const ran: number[] = [];
      const job = safeState(async (xs: number[]) => {
        for (const x of xs) ran.push(x);
      }, { name: 'keys-huge', backend, key: (x: number) => x });
      const cp = await job.peekCheckpoint();
      expect(cp!.completedKeys!.size).toBe(4_000_000_001);
      expect(cp!.completedKeys!.has(3_999_999_999)).toBe(true);
      expect(cp!.completedKeys!.has(4_000_000_001)).toBe(false);
      await job([1, 2, 4_000_000_001, 3]);
      expect(ran).toEqual([4_000_000_001]);
    });

    it('a malformed key range is damage, not a fresh start', async () => {
      const backend = new MemoryBackend();
      const snap = {
        safestate: 2, job: 'keys-bad', total: 4, fp: [], runs: 1, complete: false, created: 1, updated: 1, w: 0, s: '',
        kn: '5-2', keys: [], failure: null, state: null, frozen: null,
      };
      await backend.save('keys-bad', JSON.stringify(snap) + '\n');
      const job = safeState(async (xs: number[]) => {
        for (const x of xs) void x;
      }, { name: 'keys-bad', backend, key: (x: number) => x });
      await expect(job(range(4))).rejects.toBeInstanceOf(CheckpointCorruptError);
    });
  });

  it('the journal is compacted less often when the checkpoint is large: rewrites stay O(1) amortized per save', async () => {
    // The first item stores a 3 MiB result: every full rewrite then carries it.
    const backend = new MemoryBackend();
    const fullSizes: number[] = [];
    let appends = 0;
    const save = backend.saveSync.bind(backend);
    backend.saveSync = (job, data) => {
      fullSizes.push(data.length);
      save(job, data);
    };
    const append = backend.appendSync.bind(backend);
    backend.appendSync = (job, data) => {
      appends++;
      append(job, data);
    };
    const n = 110_000;
    const big = 'x'.repeat(3 << 20);
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) if (x === 0) record(big);
    }, { name: 'keys-compaction', backend, key: (x: number) => `item-${x}`, storeResults: true });
    await job(range(n));
    // the run's start; the rewrite that folds the big result in (its append passed 1 MiB); then one
    // after 3 MiB / 32 = 98,304 appended records (with fixed limits: one per 4096 records, 28 in all)
    expect(fullSizes).toHaveLength(3);
    expect(fullSizes[0]).toBeLessThan(1000);
    expect(fullSizes[1]).toBeGreaterThan(3 << 20);
    expect(appends).toBeGreaterThan(n - 10);
    const rewritten = fullSizes.reduce((a, b) => a + b, 0);
    expect(rewritten / n).toBeLessThan(200); // bytes rewritten per item
  });

  describe('KeyProgress snapshots (incremental range merge)', () => {
    it('equals the sorted ranges of every integer key, whatever the order of marks, resets, loads and snapshots', () => {
      let seed = 7;
      const rnd = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      for (let trial = 0; trial < 200; trial++) {
        const kp = new KeyProgress();
        const ints = new Set<number>();
        const rest: ItemKey[] = [];
        const span = 1 + Math.floor(rnd() * 200);
        for (let step = 0; step < 300; step++) {
          const r = rnd();
          if (r < 0.7) {
            const k = Math.floor(rnd() * span);
            kp.markDone(k);
            ints.add(k);
          } else if (r < 0.8) {
            const a = Math.floor(rnd() * span);
            const b = a + Math.floor(rnd() * 5);
            kp.applyRanges(`${a}-${b}`);
            for (let k = a; k <= b; k++) ints.add(k);
          } else if (r < 0.85) {
            // the CLI's reset: a key becomes undone again
            const k = rnd() < 0.7 ? Math.floor(rnd() * span) : rest[Math.floor(rnd() * rest.length)];
            if (k !== undefined && kp.markUndone(k)) {
              if (typeof k === 'number' && k >= 0) ints.delete(k);
              else rest.splice(rest.indexOf(k), 1);
            }
          } else if (r < 0.9) {
            const k = rnd() < 0.5 ? `s${Math.floor(rnd() * 20)}` : -Math.floor(rnd() * 20) - 1;
            if (kp.markDone(k)) rest.push(k);
          } else {
            const snap = kp.toSnapshot();
            expect(snap.kn).toBe(formatRanges([...ints].sort((x, y) => x - y)));
          }
        }
        const snap = kp.toSnapshot();
        expect(snap.kn).toBe(formatRanges([...ints].sort((x, y) => x - y)));
        expect(snap.keys).toEqual(rest);
        expect(kp.size).toBe(ints.size + rest.length);
      }
    });
  });
});
