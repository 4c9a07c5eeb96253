import * as dc from 'node:diagnostics_channel';
import {
  SafeState, MemoryBackend, concurrently, SAFE_STATE_CHANNELS, type JobStartMessage, type ItemDoneMessage,
  type ItemFailedMessage, type SaveMessage, type JobEndMessage,
} from '../../lib/index';
import { range } from '../helpers';
import { LOCAL_BACKENDS, failingJob } from './observed-jobs';
import { clock } from '../../lib/observe/clock';

type Event = { channel: string; message: Record<string, unknown> };

/** Subscribes to every safe-state channel; `stop()` unsubscribes. Only the messages of job `name` are kept. */
function listen(name: string): { events: Event[]; of: <T>(channel: string) => T[]; stop: () => void } {
  const events: Event[] = [];
  const listeners = Object.values(SAFE_STATE_CHANNELS).map((channel) => {
    const fn = (message: unknown) => {
      if ((message as { job: string }).job === name) events.push({ channel, message: message as Record<string, unknown> });
    };
    dc.subscribe(channel, fn);
    return () => dc.unsubscribe(channel, fn);
  });
  return {
    events,
    of: <T>(channel: string) => events.filter((e) => e.channel === channel).map((e) => e.message as T),
    stop: () => listeners.forEach((u) => u()),
  };
}

const short = (c: string) => c.replace('safe-state:', '');


describe.each(LOCAL_BACKENDS)('diagnostics channels on %s', (label, makeBackend) => {
  it('publish start, items, saves and end of a run that fails, then of the run that resumes it', async () => {
    const backend = makeBackend();
    const name = `observe-${label}`;
    const Job = failingJob(backend, name);
    const l = listen(name);
    try {
      const first = new Job();
      first.failAt = 3;
      await expect(first.run(range(5))).rejects.toThrow('item 3 is bad');
      await expect(new Job().run(range(5))).resolves.toBe('ok');
    } finally {
      l.stop();
      await backend.close();
    }
    // run 1: a save counts the run, items 0-2 are done and saved one by one, item 3 fails, the failure is saved
    const order = l.events.map((e) => `${short(e.channel)}${'index' in e.message ? ` ${e.message.index}` : ''}`);
    expect(order).toEqual([
      'save', 'job:start',
      'item:done 0', 'save', 'item:done 1', 'save', 'item:done 2', 'save',
      'item:failed 3', 'save', 'job:end',
      'save', 'job:start',
      'item:done 3', 'save', 'item:done 4', 'save',
      'job:end',
    ]);

    const starts = l.of<JobStartMessage>(SAFE_STATE_CHANNELS.jobStart);
    expect(starts).toEqual([
      { job: name, run: 1, runId: expect.any(Number), resumed: false, done: 0, total: 5, backend: label, startedAt: expect.any(Number) },
      { job: name, run: 2, runId: expect.any(Number), resumed: true, done: 3, total: 5, backend: label, startedAt: expect.any(Number) },
    ]);
    expect(starts[1].runId).toBeGreaterThan(starts[0].runId);
    expect(Math.abs(starts[0].startedAt - Date.now())).toBeLessThan(60_000);

    const done = l.of<ItemDoneMessage>(SAFE_STATE_CHANNELS.itemDone);
    expect(done.map((m) => [m.run, m.index, m.key, m.done, m.total])).toEqual([
      [1, 0, undefined, 1, 5], [1, 1, undefined, 2, 5], [1, 2, undefined, 3, 5], [2, 3, undefined, 4, 5], [2, 4, undefined, 5, 5],
    ]);
    for (const m of done) {
      expect(m.durationMs).toBeGreaterThanOrEqual(0);
      expect(m.runId).toBe(starts[m.run - 1].runId);
    }

    const [failed, ...moreFailed] = l.of<ItemFailedMessage>(SAFE_STATE_CHANNELS.itemFailed);
    expect(moreFailed).toEqual([]);
    expect(failed).toEqual({
      job: name, run: 1, runId: starts[0].runId, index: 3, key: undefined, error: expect.objectContaining({ message: 'item 3 is bad' }),
      tries: 1, action: 'stop', done: 3, total: 5, durationMs: expect.any(Number),
    });

    const saves = l.of<SaveMessage>(SAFE_STATE_CHANNELS.save);
    expect(saves.map((s) => [s.run, s.kind, s.done])).toEqual([
      [1, 'full', 0], [1, 'append', 1], [1, 'append', 2], [1, 'append', 3], [1, 'full', 3],
      [2, 'full', 3], [2, 'append', 4], [2, 'append', 5],
    ]);
    for (const s of saves) {
      expect(s.bytes).toBeGreaterThan(0);
      expect(s.durationMs).toBeGreaterThanOrEqual(0);
      expect('error' in s).toBe(false);
    }

    const ends = l.of<JobEndMessage>(SAFE_STATE_CHANNELS.jobEnd);
    expect(ends).toEqual([
      { job: name, run: 1, runId: starts[0].runId, outcome: 'failed', error: expect.objectContaining({ message: 'item 3 is bad' }), done: 3, total: 5, durationMs: expect.any(Number) },
      { job: name, run: 2, runId: starts[1].runId, outcome: 'completed', done: 5, total: 5, durationMs: expect.any(Number) },
    ]);
    expect('error' in ends[1]).toBe(false);
  });
});

describe('diagnostics channels, other loop forms', () => {
  it('concurrently(): every failed callback is an item:failed with its index and key; done items carry their keys', async () => {
    const backend = new MemoryBackend();
    const name = 'observe-concurrently';
    class Job {
      @SafeState({ name, backend, key: (x: number) => `k${x}` })
      async run(items: number[]) {
        await concurrently(items, 4, async (x) => {
          await new Promise((r) => setImmediate(r));
          if (x === 2 || x === 3) throw new Error(`bad ${x}`);
        });
      }
    }
    const l = listen(name);
    try {
      await expect(new Job().run(range(4))).rejects.toThrow('bad 2');
    } finally {
      l.stop();
    }
    const failed = l.of<ItemFailedMessage>(SAFE_STATE_CHANNELS.itemFailed);
    expect(failed.map((m) => [m.index, m.key, (m.error as Error).message, m.action]).sort()).toEqual([
      [2, 'k2', 'bad 2', 'stop'], [3, 'k3', 'bad 3', 'stop'],
    ]);
    const done = l.of<ItemDoneMessage>(SAFE_STATE_CHANNELS.itemDone);
    expect(done.map((m) => [m.index, m.key]).sort()).toEqual([[0, 'k0'], [1, 'k1']]);
    for (const m of done) expect(m.durationMs).toBeGreaterThanOrEqual(0);
    expect(l.of<JobEndMessage>(SAFE_STATE_CHANNELS.jobEnd).map((m) => [m.outcome, m.done])).toEqual([['failed', 2]]);
  });

  it('a save that fails is published with its error, and the job ends failed', async () => {
    class FailingBackend extends MemoryBackend {
      saves = 0;
      override saveSync(jobName: string, data: string): void {
        if (++this.saves === 3) throw new Error('disk full');
        super.saveSync(jobName, data);
      }
      override appendSync(): void {
        throw new Error('disk full');
      }
    }
    const backend = new FailingBackend();
    const name = 'observe-save-error';
    const Job = failingJob(backend, name);
    const l = listen(name);
    try {
      await expect(new Job().run(range(3))).rejects.toThrow('disk full');
    } finally {
      l.stop();
    }
    const saves = l.of<SaveMessage>(SAFE_STATE_CHANNELS.save);
    expect(saves[1]).toMatchObject({ kind: 'append', error: expect.objectContaining({ message: 'disk full' }) });
    const end = l.of<JobEndMessage>(SAFE_STATE_CHANNELS.jobEnd);
    expect(end).toEqual([expect.objectContaining({ outcome: 'failed', error: expect.objectContaining({ code: 'BACKEND_ERROR' }) })]);
  });

  it('item durations are null for items already in flight when the subscriber came', async () => {
    const backend = new MemoryBackend();
    const name = 'observe-late';
    let l: ReturnType<typeof listen> | null = null;
    class Job {
      @SafeState({ name, backend })
      async run(items: number[]) {
        for (const i of items) if (i === 1) l = listen(name);
      }
    }
    try {
      await new Job().run(range(3));
    } finally {
      (l as ReturnType<typeof listen> | null)?.stop();
    }
    const done = l!.of<ItemDoneMessage>(SAFE_STATE_CHANNELS.itemDone);
    expect(done.map((m) => [m.index, m.durationMs === null])).toEqual([[1, true], [2, false]]);
    // no job:start was seen, yet job:end knows how long the call took
    expect(l!.of<JobEndMessage>(SAFE_STATE_CHANNELS.jobEnd)).toEqual([expect.objectContaining({ outcome: 'completed', durationMs: expect.any(Number) })]);
  });
});

describe('diagnostics channels without subscribers', () => {
  it('build and publish nothing, and do no per-item work', async () => {
    for (const c of Object.values(SAFE_STATE_CHANNELS)) expect(dc.hasSubscribers(c)).toBe(false);
    const channels = Object.values(SAFE_STATE_CHANNELS).map((c) => dc.channel(c));
    const publish = channels.map((c) => jest.spyOn(c, 'publish'));
    const now = jest.spyOn(clock, 'now');
    const backend = new MemoryBackend();
    const Job = failingJob(backend, 'observe-off');
    const clockReadsFor = async (n: number): Promise<number> => {
      now.mockClear();
      await new Job().run(range(n));
      return now.mock.calls.length;
    };
    try {
      const few = await clockReadsFor(3);
      const many = await clockReadsFor(1000);
      expect(many).toBe(few); // nothing timed per item
      for (const p of publish) expect(p).not.toHaveBeenCalled();
    } finally {
      publish.forEach((p) => p.mockRestore());
      now.mockRestore();
      await backend.close();
    }
  });
});

describe('diagnostics channels with a failure policy', () => {
  it('a retried try publishes item:retry (not item:failed); the last try that fails publishes item:failed stop', async () => {
    const backend = new MemoryBackend();
    const name = 'observe-retry';
    let failures = 0;
    class Job {
      @SafeState({ name, backend, retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 1, jitter: false } })
      async run(items: number[]) {
        for await (const i of items) {
          if (i === 2 && failures < 5) {
            failures++;
            throw new Error(`item 2 failed (${failures})`);
          }
        }
      }
    }
    const l = listen(name);
    try {
      await expect(new Job().run(range(4))).rejects.toThrow('item 2 failed (3)');
    } finally {
      l.stop();
    }
    const retries = l.of<Record<string, unknown>>(SAFE_STATE_CHANNELS.itemRetry);
    expect(retries.map((m) => ({ index: m.index, tries: m.tries, attempts: m.attempts }))).toEqual([
      { index: 2, tries: 1, attempts: 3 },
      { index: 2, tries: 2, attempts: 3 },
    ]);
    const failed = l.of<ItemFailedMessage>(SAFE_STATE_CHANNELS.itemFailed);
    expect(failed.map((m) => ({ index: m.index, tries: m.tries, action: m.action }))).toEqual([{ index: 2, tries: 3, action: 'stop' }]);
    // each retry is published inside its try's run, before that run's job:end
    const order = l.events.filter((e) => /retry|failed|end/.test(e.channel)).map((e) => short(e.channel));
    expect(order).toEqual(['item:retry', 'job:end', 'item:retry', 'job:end', 'item:failed', 'job:end']);
  });

  it("onItemError 'skip' publishes item:failed with action skip, once per skipped item", async () => {
    const backend = new MemoryBackend();
    const name = 'observe-skip';
    class Job {
      @SafeState({ name, backend, onItemError: 'skip' })
      async run(items: number[]) {
        for await (const i of items) if (i === 1 || i === 3) throw new Error(`bad ${i}`);
      }
    }
    const l = listen(name);
    try {
      await expect(new Job().run(range(5))).rejects.toMatchObject({ code: 'JOB_FAILURES' });
    } finally {
      l.stop();
    }
    const failed = l.of<ItemFailedMessage>(SAFE_STATE_CHANNELS.itemFailed);
    expect(failed.map((m) => ({ index: m.index, action: m.action }))).toEqual([
      { index: 1, action: 'skip' },
      { index: 3, action: 'skip' },
    ]);
  });
});
