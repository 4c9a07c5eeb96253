import * as dc from 'node:diagnostics_channel';
import { SafeState, MemoryBackend, SAFE_STATE_CHANNELS, InvalidOptionsError } from '../../lib/index';
import { instrument, type OtelApi, type OtelAttributes, type OtelSpan } from '../../lib/otel/index';
import { activeJob } from '../../lib/engine/job-context';
import { publishItemRetry } from '../../lib/observe/channels';
import { range } from '../helpers';
import { LOCAL_BACKENDS, failingJob } from '../observe/observed-jobs';

/**
 * `@opentelemetry/api` is not a dependency of the repository: this is a hand-written stand-in of the
 * API surface `safe-state/otel` calls (tracer, meter, context), recording every call. With the real
 * SDK the same calls produce the spans the console exporter prints (samples/otel-trace).
 */
class RecordedSpan implements OtelSpan {
  attributes: OtelAttributes;
  events: { name: string; attributes?: OtelAttributes }[] = [];
  status: { code: number; message?: string } | null = null;
  exceptions: (Error | string)[] = [];
  endTime: number | null = null;
  constructor(readonly name: string, readonly startTime: number | undefined, readonly parent: unknown, attributes: OtelAttributes = {}) {
    this.attributes = { ...attributes };
  }
  setAttributes(a: OtelAttributes) {
    Object.assign(this.attributes, a);
    return this;
  }
  addEvent(name: string, attributes?: OtelAttributes) {
    this.events.push({ name, attributes });
    return this;
  }
  setStatus(status: { code: number; message?: string }) {
    this.status = status;
    return this;
  }
  recordException(e: Error | string) {
    this.exceptions.push(e);
  }
  end(endTime?: number) {
    if (this.endTime !== null) throw new Error(`span ${this.name} ended twice`);
    this.endTime = endTime ?? Date.now();
  }
}

function recordingApi() {
  const ROOT = { context: 'root' };
  const spans: RecordedSpan[] = [];
  const metrics: { instrument: string; kind: 'counter' | 'histogram'; value: number; attributes?: OtelAttributes }[] = [];
  const created: { name: string; unit?: string }[] = [];
  const tracer = {
    startSpan(name: string, options?: { attributes?: OtelAttributes; startTime?: number }, context?: unknown) {
      const s = new RecordedSpan(name, options?.startTime, context, options?.attributes);
      spans.push(s);
      return s;
    },
  };
  const meter = {
    createCounter(name: string, options?: { unit?: string }) {
      created.push({ name, unit: options?.unit });
      return { add: (value: number, attributes?: OtelAttributes) => metrics.push({ instrument: name, kind: 'counter', value, attributes }) };
    },
    createHistogram(name: string, options?: { unit?: string }) {
      created.push({ name, unit: options?.unit });
      return { record: (value: number, attributes?: OtelAttributes) => metrics.push({ instrument: name, kind: 'histogram', value, attributes }) };
    },
  };
  const api: OtelApi = {
    trace: { getTracer: () => tracer, setSpan: (context, span) => ({ parentContext: context, span }) },
    context: { active: () => ROOT },
    metrics: { getMeter: () => meter },
  };
  const sum = (instrumentName: string) => metrics.filter((m) => m.instrument === instrumentName).reduce((n, m) => n + m.value, 0);
  return { api, ROOT, spans, metrics, created, sum };
}


describe.each(LOCAL_BACKENDS)('instrument() on %s', (label, makeBackend) => {
  it('records a span per call, a span per item, counters of items and the save latencies', async () => {
    const rec = recordingApi();
    const backend = makeBackend();
    const name = `otel-${label}`;
    const Job = failingJob(backend, name);
    const uninstall = instrument({ api: rec.api, itemSpans: true });
    try {
      const first = new Job();
      first.failAt = 3;
      await expect(first.run(range(5))).rejects.toThrow('item 3 is bad');
      await new Job().run(range(5));
    } finally {
      uninstall();
      await backend.close();
    }
    const jobSpans = rec.spans.filter((s) => s.name === `job ${name}`);
    expect(jobSpans).toHaveLength(2);
    const [failed, resumed] = jobSpans;
    expect(failed.parent).toBe(rec.ROOT); // a child of the span active where the job was called
    expect(failed.attributes).toEqual({
      'safe_state.job.name': name, 'safe_state.job.run': 1, 'safe_state.job.resumed': false, 'safe_state.job.backend': label,
      'safe_state.items.done_before': 0, 'safe_state.items.total': 5, 'safe_state.job.outcome': 'failed', 'safe_state.items.done': 3,
    });
    expect(failed.status).toEqual({ code: 2, message: 'item 3 is bad' });
    expect(failed.exceptions).toEqual([expect.any(TypeError)]);
    expect(resumed.attributes).toMatchObject({ 'safe_state.job.run': 2, 'safe_state.job.resumed': true, 'safe_state.items.done_before': 3, 'safe_state.job.outcome': 'completed', 'safe_state.items.done': 5 });
    expect(resumed.status).toBeNull();
    for (const s of jobSpans) expect(s.endTime).toBeGreaterThanOrEqual(s.startTime!);

    const itemSpans = rec.spans.filter((s) => s.name === `item ${name}`);
    expect(itemSpans.map((s) => [s.attributes['safe_state.item.index'], s.status?.code ?? 0])).toEqual([[0, 0], [1, 0], [2, 0], [3, 2], [3, 0], [4, 0]]);
    for (const s of itemSpans) {
      const parentSpan = (s.parent as { span: RecordedSpan }).span;
      expect(parentSpan).toBe(itemSpans.indexOf(s) < 4 ? failed : resumed); // items 0-3 ran in the first call
      expect(s.endTime).toBeGreaterThanOrEqual(s.startTime!);
    }
    expect(itemSpans[3].attributes).toMatchObject({ 'safe_state.item.tries': 1, 'safe_state.item.action': 'stop' });

    expect(rec.sum('safe_state.items.done')).toBe(5);
    expect(rec.sum('safe_state.items.failed')).toBe(1);
    expect(rec.sum('safe_state.items.retried')).toBe(0);
    const saves = rec.metrics.filter((m) => m.instrument === 'safe_state.save.duration');
    expect(saves.map((m) => m.attributes!['safe_state.save.kind'])).toEqual(['full', 'append', 'append', 'append', 'full', 'full', 'append', 'append']);
    for (const m of saves) {
      expect(m.value).toBeGreaterThanOrEqual(0);
      expect(m.value).toBeLessThan(60); // seconds
      expect(m.attributes).toEqual({ 'safe_state.job.name': name, 'safe_state.save.kind': expect.any(String) });
    }
    expect(rec.created).toEqual([
      { name: 'safe_state.items.done', unit: '{item}' }, { name: 'safe_state.items.failed', unit: '{item}' },
      { name: 'safe_state.items.retried', unit: '{item}' }, { name: 'safe_state.save.duration', unit: 's' },
    ]);
  });
});

describe('instrument()', () => {
  it('makes no item spans by default, counts retries and puts them on the job span as events', async () => {
    const rec = recordingApi();
    const name = 'otel-retry';
    class Job {
      @SafeState({ name, backend: new MemoryBackend() })
      async run(items: number[]) {
        for (const i of items) {
          if (i === 1) publishItemRetry(activeJob('test'), { index: 1, key: undefined, error: new RangeError('flaky'), tries: 1, attempts: 3, delayMs: 20 });
        }
      }
    }
    const uninstall = instrument({ api: rec.api });
    try {
      await new Job().run(range(3));
    } finally {
      uninstall();
    }
    expect(rec.spans.map((s) => s.name)).toEqual([`job ${name}`]);
    expect(rec.spans[0].events).toEqual([{
      name: 'retry',
      attributes: {
        'safe_state.job.name': name, 'safe_state.item.index': 1, 'safe_state.item.tries': 1, 'safe_state.retry.attempts': 3,
        'safe_state.retry.delay_ms': 20, 'error.type': 'RangeError',
      },
    }]);
    expect(rec.sum('safe_state.items.retried')).toBe(1);
    expect(rec.sum('safe_state.items.done')).toBe(3);
  });

  it('unsubscribes when uninstalled: nothing is recorded any more and the channels have no subscriber left', async () => {
    const rec = recordingApi();
    const uninstall = instrument({ api: rec.api });
    for (const c of Object.values(SAFE_STATE_CHANNELS)) expect(dc.hasSubscribers(c)).toBe(true);
    uninstall();
    uninstall(); // twice is harmless
    for (const c of Object.values(SAFE_STATE_CHANNELS)) expect(dc.hasSubscribers(c)).toBe(false);
    await new (failingJob(new MemoryBackend(), 'otel-off'))().run(range(3));
    expect(rec.spans).toEqual([]);
    expect(rec.metrics).toEqual([]);
  });

  it('uses the tracer and meter it is given', async () => {
    const rec = recordingApi();
    const other = recordingApi();
    const uninstall = instrument({ api: rec.api, tracer: other.api.trace.getTracer('x'), meter: other.api.metrics.getMeter('x') });
    try {
      await new (failingJob(new MemoryBackend(), 'otel-given'))().run(range(2));
    } finally {
      uninstall();
    }
    expect(rec.spans).toEqual([]);
    expect(other.spans.map((s) => s.name)).toEqual(['job otel-given']);
    expect(other.sum('safe_state.items.done')).toBe(2);
  });

  it('refuses bad options with an InvalidOptionsError naming the option', () => {
    const { api } = recordingApi();
    const option = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(InvalidOptionsError.is(e)).toBe(true);
        return (e as InvalidOptionsError).option;
      }
      return 'no error';
    };
    expect(option(() => instrument({ api, itemSpans: 'yes' as unknown as boolean }))).toBe('itemSpans');
    expect(option(() => instrument({ api, spans: true } as never))).toBe('spans');
    expect(option(() => instrument({ api, tracer: {} as never }))).toBe('tracer');
    expect(option(() => instrument({ api, meter: 42 as never }))).toBe('meter');
    expect(option(() => instrument(null as never))).toBe('options');
    for (const c of Object.values(SAFE_STATE_CHANNELS)) expect(dc.hasSubscribers(c)).toBe(false);
  });

  it('without `api`, loads @opentelemetry/api, or says to install it when it is missing', () => {
    let installed = true;
    try {
      require.resolve('@opentelemetry/api');
    } catch {
      installed = false;
    }
    if (installed) {
      const uninstall = instrument(); // the global (no-op until an SDK registers) providers
      expect(typeof uninstall).toBe('function');
      uninstall();
    } else {
      expect(() => instrument()).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', option: 'api', message: expect.stringContaining('npm install @opentelemetry/api') }));
    }
  });
});
