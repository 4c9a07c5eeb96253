import { SafeState, safeState, MemoryBackend, JobFailuresError, InvalidOptionsError, InputChangedError, concurrently } from '../../lib/index';
import { decodeCheckpoint, encodeFull } from '../../lib/state/checkpoint-codec';
import { MAX_FAILED_DETAILS } from '../../lib/state/failed-items';
import { range } from '../helpers';

describe("onItemError: 'skip'", () => {
  it('goes on past failed items, rejects with JobFailuresError listing them, and the next run runs only them', async () => {
    const backend = new MemoryBackend();
    const bad = new Set([2, 5, 6]);
    const seen: number[] = [];
    const job = safeState(async (items: number[]) => {
      for (const i of items) {
        seen.push(i);
        if (bad.has(i)) throw new TypeError(`bad ${i}`);
      }
      return 'ok';
    }, { name: 'skip-basic', backend, onItemError: 'skip' });
    const err = await job(range(10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailuresError);
    const jf = err as JobFailuresError;
    expect(jf.code).toBe('JOB_FAILURES');
    expect(jf.count).toBe(3);
    expect(jf.failedItems.map((f) => [f.index, f.name, f.message, f.tries])).toEqual([[2, 'TypeError', 'bad 2', 1], [5, 'TypeError', 'bad 5', 1], [6, 'TypeError', 'bad 6', 1]]);
    expect(seen).toEqual(range(10)); // every item ran once
    const cp = (await job.peekCheckpoint())!;
    expect(cp.failedItems.count).toBe(3);
    expect([...cp.failedItems]).toEqual([2, 5, 6]);
    expect(cp.failedItems.has(5)).toBe(true);
    expect([...cp.completedIndices]).toEqual([0, 1, 3, 4, 7, 8, 9]);
    expect(cp.complete).toBe(false);

    // the next run: only the failed items; 5 fails again
    seen.length = 0;
    bad.delete(2);
    bad.delete(6);
    const again = await job(range(10)).catch((e: unknown) => e);
    expect(seen).toEqual([2, 5, 6]);
    expect((again as JobFailuresError).failedItems.map((f) => f.index)).toEqual([5]);
    // fixed: the run after that completes and clears the checkpoint
    seen.length = 0;
    bad.clear();
    await expect(job(range(10))).resolves.toBe('ok');
    expect(seen).toEqual([5]);
    expect(await backend.exists('skip-basic')).toBe(false);
  });

  it('with retry: an item is skipped only once its tries are spent', async () => {
    const backend = new MemoryBackend();
    const tries = new Map<number, number>();
    const job = safeState(async (items: number[]) => {
      for (const i of items) {
        tries.set(i, (tries.get(i) ?? 0) + 1);
        if (i === 3) throw new Error('always');
        if (i === 6 && tries.get(i)! < 2) throw new Error('once');
      }
    }, { name: 'skip-retry', backend, onItemError: 'skip', retry: { attempts: 3, minDelayMs: 0 } });
    const err = (await job(range(8)).catch((e: unknown) => e)) as JobFailuresError;
    expect(err.failedItems).toMatchObject([{ index: 3, tries: 3, message: 'always' }]);
    expect(tries.get(3)).toBe(3);
    expect(tries.get(6)).toBe(2);
    expect(tries.get(7)).toBe(1);
  });

  it('a job without the option still runs the failed items a skip run left (they are not taken for done)', async () => {
    const backend = new MemoryBackend();
    const seen: number[] = [];
    const body = (fail: boolean) => async (items: number[]) => {
      for (const i of items) {
        seen.push(i);
        if (fail && i === 1) throw new Error('x');
      }
    };
    await expect(safeState(body(true), { name: 'skip-then-stop', backend, onItemError: 'skip' })(range(4))).rejects.toBeInstanceOf(JobFailuresError);
    seen.length = 0;
    await safeState(body(false), { name: 'skip-then-stop', backend })(range(4));
    expect(seen).toEqual([1]);
  });

  it('keyed jobs record keys; concurrently() skips too', async () => {
    const backend = new MemoryBackend();
    class Job {
      @SafeState({ name: 'skip-keyed', backend, key: (r: { id: string }) => r.id, onItemError: 'skip' })
      async run(rows: { id: string }[]) {
        await concurrently(rows, 3, async (r) => {
          if (r.id === 'b' || r.id === 'e') throw new Error(`bad ${r.id}`);
        });
      }
    }
    const rows = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id }));
    const err = (await new Job().run(rows).catch((e: unknown) => e)) as JobFailuresError;
    expect(err.count).toBe(2);
    const cp = (await SafeState.of(new Job(), 'run').peekCheckpoint())!;
    expect(new Set(cp.failedItems)).toEqual(new Set(['b', 'e']));
    expect(new Set(cp.completedKeys)).toEqual(new Set(['a', 'c', 'd', 'f']));
  });

  it("does not skip safe-state's own errors nor failures outside an item: those stop the job", async () => {
    const backend = new MemoryBackend();
    const job = safeState(async (items: Iterable<number>) => {
      for (const i of items) void i;
      throw new Error('after the loop');
    }, { name: 'skip-outside', backend, onItemError: 'skip' });
    await expect(job([1, 2])).rejects.toThrow('after the loop');
    const job2 = safeState(async (items: Iterable<number>) => {
      for (const i of items) if (i === 2) throw new Error('bad');
    }, { name: 'skip-own', backend, onItemError: 'skip' });
    await expect(job2(new Set([0, 1, 2, 3]))).rejects.toBeInstanceOf(JobFailuresError);
    await expect(job2(new Set([9, 1, 2, 3]))).rejects.toBeInstanceOf(InputChangedError);
  });

  it('keeps the record bounded: ranges for the items, the first details, and the count', async () => {
    const backend = new MemoryBackend();
    const job = safeState(async (items: number[]) => {
      for (const i of items) if ((i < 200 && i % 2 === 0) || (i > 200 && i <= 220)) throw new Error(`bad ${i}`);
    }, { name: 'skip-bounded', backend, onItemError: 'skip' });
    const err = (await job(range(240)).catch((e: unknown) => e)) as JobFailuresError;
    const expected = range(240).filter((i) => (i < 200 && i % 2 === 0) || (i > 200 && i <= 220));
    expect(err.count).toBe(expected.length);
    expect(err.failedItems).toHaveLength(MAX_FAILED_DETAILS);
    const cp = (await job.peekCheckpoint())!;
    expect([...cp.failedItems]).toEqual(expected);
    const text = (await backend.load('skip-bounded'))!;
    const snap = JSON.parse(text.split('\n')[0]);
    expect(snap.safestate).toBe(3);
    expect(snap.failed.r).toContain('198,201-220');
    expect(snap.failed.n).toBe(expected.length);
    // the format round-trips
    expect(encodeFull(decodeCheckpoint(encodeFull(decodeCheckpoint(text))))).toBe(encodeFull(decodeCheckpoint(text)));
  });

  it('refuses a one-shot input (a generator): going on after a failed item iterates the input again', async () => {
    const job = safeState(async (items: Iterable<number>) => {
      for (const _ of items) void _;
    }, { name: 'skip-gen', backend: new MemoryBackend(), onItemError: 'skip' });
    function* gen() { yield 1; }
    await expect(job(gen())).rejects.toMatchObject({ code: 'INVALID_OPTIONS', option: 'retry' });
  });

  it('validates onItemError', () => {
    expect(() => safeState(async (_: number[]) => undefined, { name: 'v', onItemError: 'ignore' as never })).toThrow(InvalidOptionsError);
  });
});
