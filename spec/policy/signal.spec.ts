import { getEventListeners } from 'node:events';
import { safeState, MemoryBackend, InvalidOptionsError, NoActiveJobError, currentSignal, concurrently, checkpoint, resumeState } from '../../lib/index';
import { range } from '../helpers';

describe('signal', () => {
  it('stops before the next item, saves, rejects with the reason; a rerun resumes there', async () => {
    const backend = new MemoryBackend();
    const controller = new AbortController();
    const reason = new Error('operator stop');
    const seen: number[] = [];
    const job = safeState(async (items: number[]) => {
      for (const i of items) {
        seen.push(i);
        if (i === 3) controller.abort(reason); // item 3 still finishes and counts as done
      }
    }, { name: 'abort-sync', backend, signal: controller.signal });
    await expect(job(range(8))).rejects.toBe(reason);
    expect(seen).toEqual([0, 1, 2, 3]);
    const cp = await job.peekCheckpoint();
    expect([...cp!.completedIndices]).toEqual([0, 1, 2, 3]);
    expect(cp!.lastFailure).toMatchObject({ index: null, message: 'operator stop' });

    const rerun = safeState(async (items: number[]) => {
      for (const i of items) seen.push(i);
    }, { name: 'abort-sync', backend, signal: new AbortController().signal });
    await rerun(range(8));
    expect(seen).toEqual(range(8));
  });

  it('for await: an abort while an item runs stops before the next one; the body cancels its own work with currentSignal()', async () => {
    const backend = new MemoryBackend();
    const controller = new AbortController();
    const seen: number[] = [];
    let cancelled = 0;
    const job = safeState(async (items: number[]) => {
      for await (const i of items) {
        seen.push(i);
        if (i === 2) {
          setImmediate(() => controller.abort());
          // work in flight that listens to the job's signal
          await new Promise<void>((resolve) => currentSignal()!.addEventListener('abort', () => (cancelled++, resolve()), { once: true }));
        }
      }
    }, { name: 'abort-async', backend, signal: controller.signal });
    const err = await job(range(6)).catch((e: unknown) => e);
    expect(err).toBe(controller.signal.reason);
    expect((err as Error).name).toBe('AbortError');
    expect(cancelled).toBe(1);
    expect(seen).toEqual([0, 1, 2]);
    expect((await job.peekCheckpoint())!.completedIndices.size).toBe(3);
  });

  it('an already-aborted signal rejects at once: nothing is loaded, run or written', async () => {
    const backend = new MemoryBackend();
    let fail = true;
    const body = async (items: number[]) => {
      for (const i of items) if (i === 2 && fail) throw new Error('x');
    };
    await expect(safeState(body, { name: 'pre-aborted', backend })(range(4))).rejects.toThrow('x');
    const before = await backend.load('pre-aborted');
    let ran = false;
    fail = false;
    const reason = new Error('already');
    const job = safeState(async (items: number[]) => {
      ran = true;
      await body(items);
    }, { name: 'pre-aborted', backend, signal: AbortSignal.abort(reason) });
    await expect(job(range(4))).rejects.toBe(reason);
    expect(ran).toBe(false);
    expect(await backend.load('pre-aborted')).toBe(before);
  });

  it('an abort during a retry backoff rejects at once with the reason', async () => {
    const backend = new MemoryBackend();
    const controller = new AbortController();
    let tries = 0;
    const job = safeState(async (items: number[]) => {
      tries++;
      for (const i of items) if (i === 1) {
        setImmediate(() => controller.abort(new Error('give up')));
        throw new Error('flaky');
      }
    }, { name: 'abort-backoff', backend, signal: controller.signal, retry: { attempts: 5, minDelayMs: 600_000 } });
    await expect(job(range(3))).rejects.toThrow('give up');
    expect(tries).toBe(1);
    expect((await job.peekCheckpoint())!.lastFailure).toMatchObject({ index: 1, message: 'flaky', tries: 1, retrying: true });
  });

  it('an abort during a try is not retried', async () => {
    const backend = new MemoryBackend();
    const controller = new AbortController();
    let tries = 0;
    const job = safeState(async (items: number[]) => {
      tries++;
      for (const i of items) if (i === 1) controller.abort();
    }, { name: 'abort-no-retry', backend, signal: controller.signal, retry: { attempts: 5, minDelayMs: 0 } });
    const err = await job(range(4)).catch((e: unknown) => e);
    expect(err).toBe(controller.signal.reason);
    expect(tries).toBe(1);
  });

  it('concurrently(): no item starts after the abort; the ones in flight finish', async () => {
    const backend = new MemoryBackend();
    const controller = new AbortController();
    const started: number[] = [];
    const job = safeState(async (items: number[]) => {
      await concurrently(items, 2, async (i) => {
        started.push(i);
        if (i === 3) controller.abort(new Error('stop'));
        await new Promise((r) => setImmediate(r));
      });
    }, { name: 'abort-pool', backend, signal: controller.signal });
    await expect(job(range(20))).rejects.toThrow('stop');
    expect(started).toEqual([0, 1, 2, 3]);
    const done = (await job.peekCheckpoint())!.completedIndices;
    expect(done.size).toBe(4);
  });

  it('resumeState() and checkpoint() work across an abort and rerun', async () => {
    const backend = new MemoryBackend();
    const controller = new AbortController();
    const job = safeState(async (items: number[]) => {
      let sum = resumeState<number>() ?? 0;
      for (const i of items) {
        sum += i;
        await checkpoint(sum);
        if (i === 4) controller.abort();
      }
      return sum;
    }, { name: 'abort-state', backend, signal: controller.signal });
    const err = await job(range(10)).catch((e: unknown) => e);
    expect(err).toBe(controller.signal.reason);
    const again = safeState(async (items: number[]) => {
      let sum = resumeState<number>() ?? 0;
      for (const i of items) sum += i;
      return sum;
    }, { name: 'abort-state', backend });
    await expect(again(range(10))).resolves.toBe(45);
  });

  it('currentSignal(): the job\'s signal, undefined without one, NoActiveJobError outside a job; no listener is left behind', async () => {
    const backend = new MemoryBackend();
    const signal = new AbortController().signal;
    const got: (AbortSignal | undefined)[] = [];
    const withSignal = safeState(async (items: number[]) => { for (const _ of items) got.push(currentSignal()); }, { name: 'cs1', backend, signal });
    const without = safeState(async (items: number[]) => { for (const _ of items) got.push(currentSignal()); }, { name: 'cs2', backend });
    for (let n = 0; n < 3; n++) await withSignal([1]);
    await without([1]);
    expect(got).toEqual([signal, signal, signal, undefined]);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(() => currentSignal()).toThrow(NoActiveJobError);
  });

  it('validates the signal option', () => {
    expect(() => safeState(async (_: number[]) => undefined, { name: 's', signal: 'stop' as never })).toThrow(InvalidOptionsError);
    try {
      safeState(async (_: number[]) => undefined, { name: 's', signal: {} as never });
    } catch (e) {
      expect((e as InvalidOptionsError).option).toBe('signal');
    }
    expect(() => safeState(async (_: number[]) => undefined, { name: 's', signal: AbortSignal.timeout(1000) })).not.toThrow();
  });
});
