import {
  safeState, SafeState, concurrently, record, checkpoint, MemoryBackend, StateBackend, NoActiveJobError, InvalidOptionsError,
  type Checkpoint,
} from '../../lib/index';
import { range } from '../helpers';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Deterministic pseudo-random delays (ms) per index. */
const delayOf = (i: number) => ((i * 7919) % 13) + 1;

/** The set of done indices of a checkpoint. */
const doneSet = (cp: Checkpoint | null) => new Set(cp ? [...cp.completedIndices] : []);

/** An async backend with only the four required methods (no sync hooks, no append), whose saves take `delayMs`. */
class SlowBackend extends StateBackend {
  readonly m = new Map<string, string>();
  saving = 0;
  maxSaving = 0;
  saves = 0;
  /** completions (watermark + sparse) that are durable, after each save */
  durable = new Set<number>();
  constructor(private readonly delayMs = 3) {
    super();
  }
  async load(job: string) {
    return this.m.get(job) ?? null;
  }
  async save(job: string, data: string) {
    this.saving++;
    this.maxSaving = Math.max(this.maxSaving, this.saving);
    await sleep(this.delayMs);
    this.m.set(job, data);
    this.saves++;
    const snap = JSON.parse(data.split('\n')[0]) as { w: number; s: string };
    const d = new Set<number>();
    for (let i = 0; i < snap.w; i++) d.add(i);
    if (snap.s) for (const part of snap.s.split(',')) {
      const [a, b] = part.split('-').map(Number);
      for (let i = a; i <= (b ?? a); i++) d.add(i);
    }
    this.durable = d;
    this.saving--;
  }
  async delete(job: string) {
    this.m.delete(job);
  }
  async exists(job: string) {
    return this.m.has(job);
  }
}

describe('concurrently()', () => {
  it('runs every item once, at most `limit` in flight, started in input order and finished out of order', async () => {
    let active = 0;
    let maxActive = 0;
    const started: number[] = [];
    const finished: number[] = [];
    const job = safeState(async (xs: number[]) => {
      await concurrently(xs, 4, async (x, i) => {
        expect(i).toBe(x);
        started.push(i);
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(delayOf(i));
        active--;
        finished.push(i);
      });
      return 'ok';
    }, { name: 'conc-basic', backend: new MemoryBackend() });
    expect(await job(range(40))).toBe('ok');
    expect(started).toEqual(range(40));
    expect([...finished].sort((a, b) => a - b)).toEqual(range(40));
    expect(finished).not.toEqual(range(40)); // out of order
    expect(maxActive).toBe(4);
    expect(await job.peekCheckpoint()).toBeNull(); // completed and cleared
  });

  it('limit 1 runs the items one after the other', async () => {
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    const job = safeState(async (xs: number[]) => {
      await concurrently(xs, 1, async (x) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(delayOf(x));
        order.push(x);
        active--;
      });
    }, { name: 'conc-one', backend: new MemoryBackend() });
    await job(range(10));
    expect(order).toEqual(range(10));
    expect(maxActive).toBe(1);
  });

  it('marks each index done (and saved) when its callback resolves, out of order', async () => {
    const backend = new MemoryBackend();
    let seenWhileZeroRuns: Set<number> | null = null;
    const job = safeState(async (xs: number[]) => {
      await concurrently(xs, 3, async (x) => {
        if (x === 0) {
          // wait (in the first slot) until the other slots have completed and saved items 1..5
          for (let t = 0; t < 2500; t++) {
            seenWhileZeroRuns = doneSet(await job.peekCheckpoint());
            if (seenWhileZeroRuns.size >= 5) break;
            await sleep(2);
          }
        } else await sleep(1);
      });
    }, { name: 'conc-out-of-order', backend });
    await job(range(6));
    // items 1..5 finished (in the two other slots) while item 0 was still running
    expect(seenWhileZeroRuns).toEqual(new Set([1, 2, 3, 4, 5]));
  });

  it('on the first error: starts nothing new, awaits and saves the items in flight, re-throws that error; lastFailure.index is the failing item', async () => {
    const backend = new MemoryBackend();
    const started: number[] = [];
    const completed: number[] = [];
    const boom = new Error('item 5 failed');
    let fail = true;
    // item 5 fails once 6, 7 and 8 are in flight (with 5: the limit of 4); they finish after it
    let laterStarted = 0;
    let allLaterStarted!: () => void;
    const laterRunning = new Promise<void>((r) => (allLaterStarted = r));
    let releaseLater!: () => void;
    const laterMayFinish = new Promise<void>((r) => (releaseLater = r));
    const job = safeState(async (xs: number[]) => {
      await concurrently(xs, 4, async (x) => {
        started.push(x);
        if (fail && x === 5) {
          await laterRunning;
          setTimeout(releaseLater, 20);
          throw boom;
        }
        if (fail && x >= 6 && x <= 8) {
          if (++laterStarted === 3) allLaterStarted();
          await laterMayFinish;
        }
        completed.push(x);
      });
    }, { name: 'conc-error', backend });
    const err = await job(range(20)).catch((e: unknown) => e);
    expect(err).toBe(boom); // the same object, unchanged
    expect(Math.max(...started)).toBe(8); // 5..8 were in flight; 9.. never started
    expect(completed).toEqual(expect.arrayContaining([0, 1, 2, 3, 4, 6, 7, 8]));
    const cp = (await job.peekCheckpoint())!;
    expect(cp.lastFailure).toMatchObject({ index: 5, name: 'Error', message: 'item 5 failed' });
    expect(doneSet(cp)).toEqual(new Set([0, 1, 2, 3, 4, 6, 7, 8]));

    // resume: exactly the missing indices run
    fail = false;
    started.length = 0;
    await job(range(20));
    expect(started.sort((a, b) => a - b)).toEqual([5, ...range(20).slice(9)]);
  });

  it('a synchronous throw in the callback, and a non-Error value, are re-thrown unchanged', async () => {
    const job = safeState(async (xs: number[]) => {
      await concurrently(xs, 2, (x) => {
        if (x === 3) throw 'plain string'; // eslint-disable-line no-throw-literal
      });
    }, { name: 'conc-sync-throw', backend: new MemoryBackend() });
    await expect(job(range(6))).rejects.toBe('plain string');
    const cp = (await job.peekCheckpoint())!;
    expect(cp.lastFailure).toMatchObject({ index: 3 });
    expect(doneSet(cp).has(3)).toBe(false);
  });

  it('when several items fail, the first error wins; later ones go to the verbose logger', async () => {
    const warnings: string[] = [];
    const job = safeState(async (xs: number[]) => {
      await concurrently(xs, 3, async (x) => {
        await sleep(x * 5);
        if (x === 0 || x === 1) throw new Error(`e${x}`);
      });
    }, { name: 'conc-two-errors', backend: new MemoryBackend(), verbose: { info: () => undefined, warn: (m) => warnings.push(m) } });
    await expect(job(range(3))).rejects.toThrow('e0');
    expect(warnings.join('\n')).toMatch(/item 1 failed too.*e1/);
    const cp = (await job.peekCheckpoint())!;
    expect(doneSet(cp)).toEqual(new Set([2]));
    expect(cp.lastFailure!.index).toBe(0);
  });

  it.each(['array', 'generator', 'async generator'] as const)('resumes exactly the missing items of a %s (random failures over several runs)', async (kind) => {
    const backend = new MemoryBackend();
    const n = 60;
    const runs = new Map<number, number>();
    let failing = new Set<number>([3, 17, 18, 40]);
    const make = () => {
      if (kind === 'array') return range(n);
      if (kind === 'generator') return (function* () { yield* range(n); })();
      return (async function* () { for (const i of range(n)) { if (i % 3 === 0) await null; yield i; } })();
    };
    const job = safeState(async (xs: Iterable<number> | AsyncIterable<number>) => {
      await concurrently(xs, 5, async (x, i) => {
        expect(i).toBe(x);
        await sleep(delayOf(x) % 4);
        if (failing.has(x)) {
          failing.delete(x);
          throw new Error(`fail ${x}`);
        }
        runs.set(x, (runs.get(x) ?? 0) + 1);
      });
    }, { name: `conc-resume-${kind}`, backend });
    for (let attempt = 0; ; attempt++) {
      expect(attempt).toBeLessThan(10);
      const before = doneSet(await job.peekCheckpoint());
      const ranBefore = new Map(runs);
      try {
        await job(make());
        break;
      } catch (e) {
        expect(String(e)).toMatch(/fail/);
        const after = doneSet(await job.peekCheckpoint());
        for (const d of before) expect(after.has(d)).toBe(true);
        // every item that ran in this attempt was not done before it
        for (const [x, c] of runs) if (c !== (ranBefore.get(x) ?? 0)) expect(before.has(x)).toBe(false);
      }
    }
    expect([...runs.keys()].sort((a, b) => a - b)).toEqual(range(n));
    expect([...runs.values()].every((c) => c === 1)).toBe(true); // no item ran twice
    expect(failing.size).toBe(0);
  });

  it('a source that throws: items in flight complete and are saved, the error is re-thrown', async () => {
    const backend = new MemoryBackend();
    const srcErr = new Error('source broke');
    async function* src() {
      for (let i = 0; i < 5; i++) yield i;
      throw srcErr;
    }
    const job = safeState(async (xs: AsyncIterable<number>) => {
      await concurrently(xs, 3, async () => sleep(5));
    }, { name: 'conc-source-throws', backend });
    await expect(job(src())).rejects.toBe(srcErr);
    const cp = (await job.peekCheckpoint())!;
    expect(doneSet(cp)).toEqual(new Set(range(5)));
    expect(cp.lastFailure).toMatchObject({ index: null, message: 'source broke' });
  });

  it('stops reading a generator after an error (its finally block runs)', async () => {
    let closed = false;
    let produced = 0;
    function* gen() {
      try {
        for (let i = 0; i < 100; i++) {
          produced++;
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    const job = safeState(async (xs: Iterable<number>) => {
      await concurrently(xs, 2, async (x) => {
        await sleep(1);
        if (x === 4) throw new Error('x');
      });
    }, { name: 'conc-gen-close', backend: new MemoryBackend() });
    await expect(job(gen())).rejects.toThrow('x');
    expect(closed).toBe(true);
    expect(produced).toBeLessThan(10);
  });

  describe('saves', () => {
    it('saveEvery 1 with an async backend: saves never overlap, and a slot is reused only once its completion is saved', async () => {
      const backend = new SlowBackend(4);
      const limit = 4;
      let violations = 0;
      let maxOccupied = 0;
      const resolved = new Set<number>();
      const started = new Set<number>();
      const job = safeState(async (xs: number[]) => {
        await concurrently(xs, limit, async (x) => {
          // occupied slots: items started whose completion is not durable yet
          started.add(x);
          const occupied = [...started].filter((s) => !backend.durable.has(s)).length;
          maxOccupied = Math.max(maxOccupied, occupied);
          if (occupied > limit) violations++;
          await sleep(delayOf(x) % 3);
          resolved.add(x);
        });
      }, { name: 'conc-durable', backend, keepOnSuccess: true });
      await job(range(40));
      expect(violations).toBe(0);
      expect(maxOccupied).toBe(limit);
      expect(backend.maxSaving).toBe(1); // one save at a time
      // coalescing: completions that arrived during a save were written together
      expect(backend.saves).toBeLessThan(40);
      expect(resolved.size).toBe(40);
    });

    it('saveEvery 1 with a sync backend: every completion is in a save before its slot starts a new item', async () => {
      const backend = new MemoryBackend();
      const durable = new Set<number>();
      const orig = backend.appendSync.bind(backend);
      let appends = 0;
      backend.appendSync = (job, records) => {
        appends++;
        for (const line of records.split('\n')) {
          if (!line.startsWith('+')) continue;
          for (const part of line.slice(1).split(' ')[0].split(',')) {
            const [a, b] = part.split('-').map(Number);
            for (let i = a; i <= (b ?? a); i++) durable.add(i);
          }
        }
        orig(job, records);
      };
      const started: number[] = [];
      let violations = 0;
      const job = safeState(async (xs: number[]) => {
        await concurrently(xs, 3, async (x) => {
          started.push(x);
          if (started.filter((s) => !durable.has(s)).length > 3) violations++;
          if (x % 2) await sleep(1);
        });
      }, { name: 'conc-durable-sync', backend });
      await job(range(30));
      expect(violations).toBe(0);
      expect(started).toHaveLength(30);
      expect(durable).toEqual(new Set(range(30)));
      expect(appends).toBeLessThanOrEqual(30); // synchronous callbacks completing together share a save
    });

    it('saveEvery N saves after N completions; a failure still saves every completion', async () => {
      const backend = new MemoryBackend();
      const records: string[] = [];
      const orig = backend.appendSync.bind(backend);
      backend.appendSync = (job, r) => {
        records.push(r);
        orig(job, r);
      };
      const job = safeState(async (xs: number[]) => {
        await concurrently(xs, 2, async (x) => {
          await sleep(1);
          if (x === 25) throw new Error('f');
        });
      }, { name: 'conc-every', backend, saveEvery: 10 });
      await expect(job(range(40))).rejects.toThrow('f');
      const progress = records.filter((r) => r.startsWith('+'));
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress.length).toBeLessThanOrEqual(4);
      const cp = (await job.peekCheckpoint())!;
      // everything that completed is saved: 0..24 and the other item in flight with 25 (26), nothing from 27
      const done = doneSet(cp);
      for (const i of range(25)) expect(done.has(i)).toBe(true);
      expect(done.has(25)).toBe(false);
      expect(Math.max(...done)).toBeLessThanOrEqual(26);
    });

    it('with saveEvery N, every completion is saved when concurrently() returns', async () => {
      let doneAfter = -1;
      const job = safeState(async (xs: number[]) => {
        await concurrently(xs, 3, async () => sleep(1));
        doneAfter = (await job.peekCheckpoint())!.completedIndices.size;
      }, { name: 'conc-every-end', backend: new MemoryBackend(), saveEvery: 10 });
      await job(range(15));
      expect(doneAfter).toBe(15);
    });

    it('saveIntervalMs saves pending completions on time with a large saveEvery', async () => {
      const backend = new MemoryBackend();
      let progressSaves = 0;
      const orig = backend.appendSync.bind(backend);
      backend.appendSync = (job, r) => {
        if (r.includes('+')) progressSaves++;
        orig(job, r);
      };
      const job = safeState(async (xs: number[]) => {
        await concurrently(xs, 2, async () => sleep(6));
      }, { name: 'conc-interval', backend, saveEvery: 1000, saveIntervalMs: 10 });
      await job(range(12));
      expect(progressSaves).toBeGreaterThanOrEqual(2);
    });

    it('a failing save stops the work and surfaces as BackendError', async () => {
      const backend = new MemoryBackend();
      let n = 0;
      const orig = backend.appendSync.bind(backend);
      backend.appendSync = (job, r) => {
        if (++n === 3) throw new Error('disk full');
        orig(job, r);
      };
      const started: number[] = [];
      const job = safeState(async (xs: number[]) => {
        await concurrently(xs, 2, async (x) => {
          started.push(x);
          await sleep(1);
        });
      }, { name: 'conc-save-fails', backend });
      await expect(job(range(30))).rejects.toMatchObject({ code: 'BACKEND_ERROR' });
      expect(started.length).toBeLessThan(10);
      const cp = (await job.peekCheckpoint())!;
      for (const i of doneSet(cp)) expect(started).toContain(i);
    });
  });

  describe('with the key option', () => {
    it('resumes by key across reordered, extended and trimmed input', async () => {
      const backend = new MemoryBackend();
      const ran: string[] = [];
      let failOn = 'c';
      const job = safeState(async (xs: { id: string }[]) => {
        await concurrently(xs, 2, async (x) => {
          await sleep(x.id.charCodeAt(0) % 3);
          if (x.id === failOn) throw new Error('f');
          ran.push(x.id);
        });
      }, { name: 'conc-key', backend, key: (x: { id: string }) => x.id });
      await expect(job(['a', 'b', 'c', 'd'].map((id) => ({ id })))).rejects.toThrow('f');
      const firstRun = new Set(ran);
      expect(firstRun.has('c')).toBe(false);
      const cp = (await job.peekCheckpoint())!;
      expect(cp.lastFailure!.index).toBe(2);
      expect(new Set(cp.completedKeys)).toEqual(firstRun);
      failOn = '';
      ran.length = 0;
      await job(['e', 'd', 'c', 'b'].map((id) => ({ id }))); // reordered, 'a' trimmed, 'e' added
      expect(ran.sort()).toEqual(['c', 'd', 'e'].filter((k) => !firstRun.has(k)));
    });

    it('runs each key at most once, also when a duplicate is in flight', async () => {
      const ran: number[] = [];
      const job = safeState(async (xs: number[]) => {
        await concurrently(xs, 4, async (x, i) => {
          ran.push(i);
          await sleep(5);
          void x;
        });
      }, { name: 'conc-key-dup', backend: new MemoryBackend(), key: (x: number) => x });
      await job([1, 1, 2, 1, 3, 2]);
      expect(ran).toEqual([0, 2, 4]); // the first occurrence of 1, 2 and 3
    });
  });

  it('record() inside a callback stores the result of that callback\'s item', async () => {
    const job = safeState(async (xs: number[]) => {
      await concurrently(xs, 3, async (x) => {
        await sleep(delayOf(x) % 5);
        record(x * 10);
      });
    }, { name: 'conc-record', backend: new MemoryBackend(), storeResults: true, keepOnSuccess: true });
    await job(range(8));
    const cp = (await job.peekCheckpoint())!;
    expect([...cp.results.entries()].sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(range(8).map((i) => [i, i * 10]));
  });

  it('checkpoint(state) inside callbacks goes with the next save', async () => {
    const job = safeState(async (xs: number[]) => {
      const seen: number[] = [];
      await concurrently(xs, 2, async (x) => {
        seen.push(x);
        await checkpoint({ count: seen.length });
        if (x === 4) throw new Error('f');
      });
    }, { name: 'conc-state', backend: new MemoryBackend() });
    await expect(job(range(10))).rejects.toThrow('f');
    expect(((await job.peekCheckpoint())!.state as { count: number }).count).toBeGreaterThanOrEqual(5);
  });

  describe('misuse', () => {
    it('outside a job: NoActiveJobError', async () => {
      await expect(concurrently([1, 2], 2, async () => undefined)).rejects.toBeInstanceOf(NoActiveJobError);
      await expect(concurrently([1, 2], 2, async () => undefined)).rejects.toThrow(/concurrently\(\) must be called inside a running safe-state job/);
    });

    it('on anything but the tracked input: TypeError', async () => {
      const original = range(5);
      const attempts: unknown[] = [];
      const job = safeState(async (xs: number[], other: number[]) => {
        for (const v of [original, xs.slice(), other, new Set(xs)]) attempts.push(await concurrently(v, 2, async () => undefined).catch((e: unknown) => e));
        await concurrently(xs, 2, async () => undefined);
      }, { name: 'conc-not-tracked', backend: new MemoryBackend() });
      await job(original, [1]);
      expect(attempts).toHaveLength(4);
      for (const e of attempts) {
        expect(e).toBeInstanceOf(TypeError);
        expect((e as Error).message).toMatch(/'conc-not-tracked': concurrently\(\) must be called on the tracked argument/);
      }
    });

    it('in manual mode (no tracked input): TypeError', async () => {
      const job = safeState(async (xs: number[]) => concurrently(xs, 2, async () => undefined), { name: 'conc-manual', backend: new MemoryBackend(), autoIterate: false });
      await expect(job([1])).rejects.toThrow(/has none \(manual mode/);
    });

    it.each([0, -1, 1.5, NaN, Infinity, '2'])('limit %p: InvalidOptionsError naming limit', async (limit) => {
      const job = safeState(async (xs: number[]) => concurrently(xs, limit as number, async () => undefined), { name: 'conc-limit', backend: new MemoryBackend() });
      const e = await job([1]).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidOptionsError);
      expect(e).toMatchObject({ option: 'limit', code: 'INVALID_OPTIONS' });
    });

    it('a callback that is not a function: TypeError', async () => {
      const job = safeState(async (xs: number[]) => concurrently(xs, 2, 'nope' as never), { name: 'conc-fn', backend: new MemoryBackend() });
      await expect(job([1])).rejects.toThrow(TypeError);
    });

    it('inside a loop over the same input, or iterating the input inside a callback: TypeError', async () => {
      const job = safeState(async (xs: number[]) => {
        for (const x of xs) {
          void x;
          await concurrently(xs, 2, async () => undefined);
        }
      }, { name: 'conc-in-loop', backend: new MemoryBackend() });
      await expect(job([1, 2])).rejects.toThrow(/cannot run inside a loop over the job's input/);

      const job2 = safeState(async (xs: number[]) => {
        await concurrently(xs, 2, async () => {
          for (const y of xs) void y;
        });
      }, { name: 'conc-iterate-inside', backend: new MemoryBackend() });
      await expect(job2([1, 2])).rejects.toThrow(/being processed by concurrently\(\)/);
    });

    it('after a loop that broke out, the item it left stays undone and concurrently() takes it', async () => {
      const ran: number[] = [];
      const job = safeState(async (xs: number[]) => {
        for (const x of xs) {
          if (x === 2) break;
          ran.push(x);
        }
        await concurrently(xs, 2, async (x) => {
          ran.push(x);
        });
      }, { name: 'conc-after-break', backend: new MemoryBackend() });
      await job(range(5));
      expect(ran).toEqual([0, 1, 2, 3, 4]);
    });
  });

  it('works in a decorated method, and under jest fake timers', async () => {
    jest.useFakeTimers();
    try {
      const backend = new MemoryBackend();
      class Job {
        seen: number[] = [];
        @SafeState({ name: 'conc-decorated', backend })
        async run(xs: number[]) {
          await concurrently(xs, 3, async (x) => {
            await Promise.resolve();
            this.seen.push(x);
          });
          return this.seen.length;
        }
      }
      const j = new Job();
      expect(await j.run(range(10))).toBe(10);
    } finally {
      jest.useRealTimers();
    }
  }, 10_000);
});
