import { SafeState, safeState, MemoryBackend, InvalidOptionsError, InputChangedError, checkpoint, resumeState, type RetryAttempt } from '../../lib/index';
import { range } from '../helpers';

/** an error that fails item `at` the first `times` times it is met */
function flaky(at: number, times: number) {
  let left = times;
  return (i: number) => {
    if (i === at && left > 0) {
      left--;
      throw new Error(`item ${i} failed (${times - left} of ${times})`);
    }
  };
}

describe('retry', () => {
  it('retries inside the same call, resuming at the failed item with done items skipped', async () => {
    const backend = new MemoryBackend();
    const fail = flaky(5, 2);
    const seen: number[] = [];
    let calls = 0;
    const job = safeState(async (items: number[]) => {
      calls++;
      for (const i of items) {
        fail(i);
        seen.push(i);
      }
      return 'ok';
    }, { name: 'retry-basic', backend, retry: { attempts: 3, minDelayMs: 1 } });
    await expect(job(range(10))).resolves.toBe('ok');
    expect(calls).toBe(3); // the body was called again per retry
    expect(seen).toEqual(range(10)); // each item once: done items were skipped on the retries
    expect(await backend.exists('retry-basic')).toBe(false);
  });

  it('gives resumeState() to the retried try', async () => {
    const backend = new MemoryBackend();
    const resumed: unknown[] = [];
    let failed = false;
    const job = safeState(async (items: number[]) => {
      resumed.push(resumeState());
      for (const i of items) {
        if (i === 3 && !failed) {
          failed = true;
          throw new Error('once');
        }
        await checkpoint({ upTo: i });
      }
    }, { name: 'retry-state', backend, retry: { attempts: 2, minDelayMs: 0 } });
    await job(range(5));
    expect(resumed).toEqual([undefined, { upTo: 2 }]);
  });

  it('rejects with the last error once the tries are spent, and counts them in the checkpoint', async () => {
    const backend = new MemoryBackend();
    let tries = 0;
    const job = safeState(async (items: number[]) => {
      for (const i of items) {
        if (i === 4) throw new Error(`try ${++tries}`);
      }
    }, { name: 'retry-spent', backend, retry: { attempts: 3, minDelayMs: 0 } });
    await expect(job(range(6))).rejects.toThrow('try 3');
    expect(tries).toBe(3);
    const cp = await job.peekCheckpoint();
    expect(cp!.lastFailure).toMatchObject({ index: 4, message: 'try 3', tries: 3, retrying: false });
    expect(cp!.completedIndices.size).toBe(4);
    // a new call is a new series: it gets its three tries again
    await expect(job(range(6))).rejects.toThrow('try 6');
  });

  it('counts tries per item: a later item starts at one', async () => {
    const backend = new MemoryBackend();
    const f2 = flaky(2, 1);
    const f6 = flaky(6, 2);
    const job = safeState(async (items: number[]) => {
      for (const i of items) {
        f2(i);
        f6(i);
      }
    }, { name: 'retry-per-item', backend, retry: { attempts: 3, minDelayMs: 0 } });
    await expect(job(range(8))).resolves.toBeUndefined();
  });

  it('waits the backoff between tries (exponential, capped)', async () => {
    const backend = new MemoryBackend();
    const stamps: number[] = [];
    const job = safeState(async (items: number[]) => {
      stamps.push(Date.now());
      for (const i of items) if (i === 1) throw new Error('always');
    }, { name: 'retry-backoff', backend, retry: { attempts: 4, minDelayMs: 20, factor: 2, maxDelayMs: 50 } });
    await expect(job(range(3))).rejects.toThrow('always');
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
    // 20, 40, 50 (capped): timers never fire early (a lower bound only, no timing upper bound)
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(49);
  });

  it('asks retryIf, with the attempt, and stops when it says no', async () => {
    const backend = new MemoryBackend();
    const asked: RetryAttempt[] = [];
    let n = 0;
    const job = safeState(async (items: number[]) => {
      for (const i of items) if (i === 2) throw Object.assign(new Error(`e${++n}`), { status: n < 2 ? 503 : 400 });
    }, {
      name: 'retry-if', backend,
      retry: { attempts: 5, minDelayMs: 0, retryIf: (e, a) => (asked.push(a), (e as { status: number }).status === 503) },
    });
    await expect(job(range(4))).rejects.toThrow('e2');
    expect(asked).toEqual([{ attempt: 1, index: 2, key: undefined }, { attempt: 2, index: 2, key: undefined }]);
  });

  it('a retryIf that throws: not retried, the original error surfaces, a warning tells', async () => {
    const backend = new MemoryBackend();
    const warnings: string[] = [];
    const original = new Error('original');
    let tries = 0;
    const job = safeState(async (items: number[]) => {
      for (const i of items) if (i === 1) { tries++; throw original; }
    }, {
      name: 'retry-if-throws', backend, verbose: { info: () => undefined, warn: (m) => warnings.push(m) },
      retry: { attempts: 3, minDelayMs: 0, retryIf: () => { throw new Error('bug in retryIf'); } },
    });
    await expect(job(range(3))).rejects.toBe(original);
    expect(tries).toBe(1);
    expect(warnings.join('\n')).toMatch(/retryIf threw \(Error: bug in retryIf\)/);
    expect((await job.peekCheckpoint())!.lastFailure).toMatchObject({ index: 1, retrying: false });
  });

  it("does not retry safe-state's own errors about the job (a changed input)", async () => {
    const backend = new MemoryBackend();
    let calls = 0;
    const job = safeState(async (items: Iterable<number>) => {
      calls++;
      for (const i of items) if (i === 3) throw new Error('item 3');
    }, { name: 'retry-own', backend, retry: { attempts: 2, minDelayMs: 0 } });
    await expect(job(new Set([0, 1, 2, 3]))).rejects.toThrow('item 3');
    expect(calls).toBe(2);
    calls = 0;
    // item 0 differs from the one processed before: InputChangedError, at the first try only
    await expect(job(new Set([9, 1, 2, 3]))).rejects.toBeInstanceOf(InputChangedError);
    expect(calls).toBe(1);
  });

  it('works with @SafeState and the key option (the failed key is recorded)', async () => {
    const backend = new MemoryBackend();
    const fail = flaky(2, 1);
    class Job {
      seen: string[] = [];
      @SafeState({ name: 'retry-keyed', backend, key: (r: { id: string }) => r.id, retry: { attempts: 2, minDelayMs: 0 }, keepOnSuccess: true })
      async run(rows: { id: string; n: number }[]) {
        for (const r of rows) {
          fail(r.n);
          this.seen.push(r.id);
        }
      }
    }
    const j = new Job();
    await j.run(range(4).map((n) => ({ id: `r${n}`, n })));
    expect(j.seen).toEqual(['r0', 'r1', 'r2', 'r3']);
    const cp = await SafeState.of(j, 'run').peekCheckpoint();
    expect(cp!.lastFailure).toMatchObject({ index: 2, key: 'r2', tries: 1, retrying: true });
  });

  it('refuses a one-shot input (a generator) when it may retry, before anything runs', async () => {
    const backend = new MemoryBackend();
    let ran = false;
    const job = safeState(async (items: Iterable<number>) => {
      ran = true;
      for (const _ of items) void _;
    }, { name: 'retry-gen', backend, retry: { attempts: 2 } });
    function* gen() { yield 1; }
    await expect(job(gen())).rejects.toMatchObject({ code: 'INVALID_OPTIONS', option: 'retry' });
    expect(ran).toBe(false);
    expect(await backend.exists('retry-gen')).toBe(false);
    await expect(job(new Set([1, 2]))).resolves.toBeUndefined(); // a Set starts over each time
  });

  it('validates the retry option, naming the field', () => {
    const bad: [unknown, string][] = [
      [{ attempts: -1 }, 'retry.attempts'],
      [{ attempts: 0 }, 'retry.attempts'],
      [{ attempts: 1.5 }, 'retry.attempts'],
      [{}, 'retry.attempts'],
      [{ attempts: 2, minDelayMs: -5 }, 'retry.minDelayMs'],
      [{ attempts: 2, minDelayMs: 100, maxDelayMs: 10 }, 'retry.maxDelayMs'],
      [{ attempts: 2, factor: 0.5 }, 'retry.factor'],
      [{ attempts: 2, jitter: 2 }, 'retry.jitter'],
      [{ attempts: 2, retryIf: 'yes' }, 'retry.retryIf'],
      [{ attempts: 2, tries: 3 }, 'retry.tries'],
      [3, 'retry'],
      [null, 'retry'],
    ];
    for (const [retry, option] of bad) {
      let err: unknown;
      try {
        safeState(async (_: number[]) => undefined, { name: 'v', retry: retry as never });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidOptionsError);
      expect((err as InvalidOptionsError).option).toBe(option);
    }
  });
});
