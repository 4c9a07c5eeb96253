import * as fs from 'node:fs';
import { SafeState, safeState, concurrently, Idempotent, idempotent, Checkpoint, InvalidOptionsError, SafeStateError, FileBackend } from '../../lib/index';
import { testJob, InjectedFailure, TestKitError } from '../../lib/testing';
import { range, tempDir } from '../helpers';

const STATE = tempDir('safe-state-kit-');

/** A decorated job whose decorator names a real FileBackend: the kit must keep it untouched. */
class Mailer {
  sent: number[] = [];
  @SafeState({ name: 'kit-mailer', backend: new FileBackend({ dir: STATE }) })
  async run(users: number[]) {
    for await (const u of users) this.sent.push(u);
  }
}

describe('testJob(() => job.run(items))', () => {
  afterAll(() => fs.rmSync(STATE, { recursive: true, force: true }));

  it('killAt: k dies after item k ran and before it counted; the rerun resumes at k and repeats only k', async () => {
    const mailer = new Mailer();
    const t = testJob(() => mailer.run(range(10)));
    const r1 = await t.run({ killAt: 5 });
    expect(r1).toMatchObject({ killed: true, completed: false, processed: [0, 1, 2, 3, 4, 5], resumedAt: null, error: null });
    const cp = await t.checkpoint();
    expect(cp).toBeInstanceOf(Checkpoint);
    expect([...cp!.completedIndices]).toEqual([0, 1, 2, 3, 4]);
    expect(cp!.lastFailure).toBeNull(); // the engine's failure save never landed: the process was gone
    expect(cp!.runCount).toBe(1);
    const r2 = await t.run(); // the dead run's lock is taken over at once
    expect(r2).toMatchObject({ killed: false, completed: true, processed: [5, 6, 7, 8, 9], resumedAt: 5, error: null });
    expect(t.repeated).toEqual([5]);
    expect(mailer.sent).toEqual([0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9]);
    expect(await t.checkpoint()).toBeNull(); // cleared on success
    expect(fs.readdirSync(STATE)).toEqual([]); // the decorator's own backend was never written
  });

  it('throwAt: k is an ordinary error: the failure is recorded and saved, the rerun retries k', async () => {
    const t = testJob(() => new Mailer().run(range(6)));
    const r1 = await t.run({ throwAt: 3 });
    expect(r1.killed).toBe(false);
    expect(r1.completed).toBe(false);
    expect(r1.error).toBeInstanceOf(InjectedFailure);
    expect(r1.processed).toEqual([0, 1, 2, 3]);
    const cp = await t.checkpoint();
    expect(cp!.lastFailure).toMatchObject({ index: 3, name: 'InjectedFailure' });
    expect([...cp!.completedIndices]).toEqual([0, 1, 2]);
    const r2 = await t.run();
    expect(r2).toMatchObject({ completed: true, resumedAt: 3, processed: [3, 4, 5] });
    expect(t.repeated).toEqual([3]);
  });

  it('killInSaveAt: k tears the save that records k: the rerun sees the state from before it', async () => {
    const t = testJob(() => new Mailer().run(range(8)));
    const r1 = await t.run({ killInSaveAt: 4 });
    expect(r1.killed).toBe(true);
    expect(r1.processed).toEqual([0, 1, 2, 3, 4]);
    expect([...(await t.checkpoint())!.completedIndices]).toEqual([0, 1, 2, 3]);
    const r2 = await t.run();
    expect(r2.resumedAt).toBe(4);
    expect(t.repeated).toEqual([4]);
  });

  it('saveEvery > 1: a kill repeats the items completed since the last save, a plain for..of too', async () => {
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) void x;
      },
      { name: 'kit-save-every', saveEvery: 3 },
    );
    const t = testJob(() => job(range(10)));
    expect((await t.run({ killAt: 7 })).killed).toBe(true);
    expect([...(await t.checkpoint())!.completedIndices]).toEqual([0, 1, 2, 3, 4, 5]); // saves after 2 and 5
    const r2 = await t.run();
    expect(r2).toMatchObject({ resumedAt: 6, completed: true });
    expect(t.repeated).toEqual([6, 7]);
    // a save that comes due later carries item k: killInSaveAt tears that one
    const t2 = testJob(() => job(range(10)));
    await t2.run({ killInSaveAt: 6 });
    expect([...(await t2.checkpoint())!.completedIndices]).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await t2.run()).resumedAt).toBe(6);
    expect(t2.repeated).toEqual([6, 7, 8]);
  });

  it('key mode names items by key', async () => {
    const job = safeState(
      async (rows: { id: string }[]) => {
        for await (const r of rows) void r;
      },
      { name: 'kit-keys', key: (r: { id: string }) => r.id },
    );
    const rows = ['a', 'b', 'c', 'd'].map((id) => ({ id }));
    const t = testJob(() => job(rows));
    expect(await t.run({ killAt: 'b' })).toMatchObject({ killed: true, processed: ['a', 'b'] });
    expect([...(await t.checkpoint())!.completedKeys!]).toEqual(['a']);
    const r2 = await t.run();
    expect(r2).toMatchObject({ completed: true, resumedAt: 'b', processed: ['b', 'c', 'd'] });
    expect(t.repeated).toEqual(['b']);
  });

  it('concurrently(): a kill repeats at most the items in flight; exactly the missing items run again', async () => {
    const ran: number[] = [];
    const job = safeState(
      async (xs: number[]) => {
        await concurrently(xs, 3, async (x) => {
          await new Promise((r) => setTimeout(r, x % 3));
          ran.push(x);
        });
      },
      { name: 'kit-concurrently' },
    );
    const t = testJob(() => job(range(12)));
    const r1 = await t.run({ killAt: 4 });
    expect(r1.killed).toBe(true);
    const done = [...(await t.checkpoint())!.completedIndices];
    expect(done).not.toContain(4);
    const r2 = await t.run();
    expect(r2.completed).toBe(true);
    expect(r2.processed.sort((a, b) => (a as number) - (b as number))).toEqual(range(12).filter((i) => !done.includes(i)));
    expect(t.repeated).toContain(4);
    expect(t.repeated.length).toBeLessThanOrEqual(3); // at most `limit` items were in flight
    expect(new Set(ran)).toEqual(new Set(range(12)));
  });

  it('nested jobs: the outer job is the one watched; the inner job\'s storage dies with the run too', async () => {
    const innerRuns: string[] = [];
    const inner = safeState(
      async (parts: string[]) => {
        for await (const p of parts) innerRuns.push(p);
      },
      { name: 'kit-inner' },
    );
    const outer = safeState(
      async (xs: number[]) => {
        for await (const x of xs) await inner([`${x}a`, `${x}b`]);
      },
      { name: 'kit-outer' },
    );
    const t = testJob(() => outer(range(4)));
    expect(await t.run({ killAt: 2 })).toMatchObject({ killed: true, processed: [0, 1, 2] });
    expect(await t.run()).toMatchObject({ completed: true, resumedAt: 2, processed: [2, 3] });
    expect(innerRuns).toEqual(['0a', '0b', '1a', '1b', '2a', '2b', '2a', '2b', '3a', '3b']);
    expect(await t.backend.list()).toEqual([]);
  });

  it('@Idempotent keyed effects run once across a kill: the rerun replays their record', async () => {
    const charged: string[] = [];
    class Billing {
      @Idempotent({ key: (id: string) => id })
      async charge(id: string) {
        charged.push(id);
        return `receipt-${id}`;
      }
      @SafeState({ name: 'kit-billing' })
      async run(ids: string[]) {
        const receipts: string[] = [];
        for await (const id of ids) receipts.push(await this.charge(id));
        return receipts;
      }
    }
    const t = testJob(() => new Billing().run(['x', 'y', 'z']));
    await t.run({ killAt: 1 });
    const r2 = await t.run();
    expect(t.repeated).toEqual([1]); // item 1's body ran twice...
    expect(charged).toEqual(['x', 'y', 'z']); // ...its charge once
    expect(r2.result).toEqual(['receipt-y', 'receipt-z']);
  });

  it('keeps tests apart: parallel tests of one job name never see each other\'s state', async () => {
    const job = safeState(
      async (xs: number[]) => {
        for await (const x of xs) await new Promise((r) => setTimeout(r, 1 + (x % 2)));
      },
      { name: 'kit-parallel' },
    );
    const a = testJob(() => job(range(8)));
    const b = testJob(() => job(range(8)));
    const [ra, rb] = await Promise.all([a.run({ killAt: 2 }), b.run({ killAt: 6 })]);
    expect([ra.killed, rb.killed]).toEqual([true, true]);
    const [ra2, rb2] = await Promise.all([a.run(), b.run()]);
    expect([ra2.resumedAt, rb2.resumedAt]).toEqual([2, 6]);
  });

  it('idempotent(fn) keyed effects (the plain-function form) run once across a kill too', async () => {
    let calls = 0;
    const send = idempotent(async (to: string) => ++calls, { key: (to: string) => to, name: 'kit-send' });
    const job = safeState(
      async (to: string[]) => {
        for await (const x of to) await send(x);
      },
      { name: 'kit-send-job' },
    );
    const t = testJob(() => job(['p', 'q', 'r']));
    await t.run({ killAt: 2 });
    await t.run();
    expect(calls).toBe(3);
  });

  it('throwAt in concurrently(): the failure names the item; only the missing items run again', async () => {
    const job = safeState(
      async (xs: number[]) => {
        await concurrently(xs, 2, async () => {
          await new Promise((r) => setImmediate(r));
        });
      },
      { name: 'kit-concurrently-throw' },
    );
    const t = testJob(() => job(range(6)));
    const r1 = await t.run({ throwAt: 3 });
    expect(r1.error).toBeInstanceOf(InjectedFailure);
    const cp = await t.checkpoint();
    expect(cp!.lastFailure!.index).toBe(3);
    const r2 = await t.run();
    expect(r2.completed).toBe(true);
    expect(r2.processed).toEqual(range(6).filter((i) => !cp!.completedIndices.has(i)));
  });

  it('a job that catches every error around its loop still counts as killed, and writes nothing after the kill', async () => {
    const job = safeState(
      async (xs: number[]) => {
        try {
          for await (const x of xs) void x;
        } catch {
          return 'swallowed';
        }
        return 'done';
      },
      { name: 'kit-swallow', keepOnSuccess: true },
    );
    const t = testJob(() => job(range(5)));
    const r1 = await t.run({ killAt: 1 });
    expect(r1).toMatchObject({ killed: true, completed: false, result: undefined });
    const cp = await t.checkpoint();
    expect(cp!.completedIndices.size).toBe(1); // not marked complete: the kept-on-success save was dropped
    const r2 = await t.run();
    expect(r2).toMatchObject({ completed: true, result: 'done', resumedAt: 1 });
    expect((await t.checkpoint())!.progress()).toBe(1); // keepOnSuccess: the kept checkpoint stays readable
  });
});

describe('testJob: bad input', () => {
  const job = safeState(
    async (xs: number[]) => {
      for await (const x of xs) void x;
    },
    { name: 'kit-bad-input' },
  );

  it('refuses a job that is not a function', () => {
    expect(() => testJob(Promise.resolve() as never)).toThrow(InvalidOptionsError);
    expect(() => testJob(42 as never)).toThrow(/testJob\(job\): job must be a function .*got number/);
  });

  it('says when killAt is beyond the input', async () => {
    const t = testJob(() => job(range(3)));
    const e = await t.run({ killAt: 3 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidOptionsError);
    expect((e as InvalidOptionsError).option).toBe('killAt');
    expect((e as Error).message).toMatch(/killAt: item 3 \(by index\) was never reached in job 'kit-bad-input': the body ran 3 item\(s\) in this run, the last being 2/);
  });

  it('says when the job never iterates its input', async () => {
    const lazy = safeState(async (xs: number[]) => xs.length, { name: 'kit-lazy' });
    const t = testJob(() => lazy(range(3)));
    await expect(t.run({ throwAt: 0 })).rejects.toThrow(/throwAt: item 0 \(by index\) was never reached .*no item was handed to the body \(it never iterated/);
  });

  it('says when the function starts no job, and refuses unknown or ill-typed options', async () => {
    const t = testJob(async () => 1);
    const e = await t.run().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TestKitError);
    expect(SafeStateError.is(e)).toBe(true);
    expect((e as TestKitError).code).toBe('TEST_KIT');
    const t2 = testJob(() => job(range(3)));
    await expect(t2.run({ killat: 1 } as never)).rejects.toThrow(/killat: unknown option of t.run\(\); the options are killAt, killInSaveAt, throwAt/);
    await expect(t2.run({ killAt: {} } as never)).rejects.toThrow(InvalidOptionsError);
    await expect(t2.run('x' as never)).rejects.toThrow(/options must be an object/);
  });

  it('refuses overlapping runs of one testJob', async () => {
    const t = testJob(() => job(range(3)));
    const first = t.run();
    await expect(t.run()).rejects.toThrow(TestKitError);
    await first;
  });
});
