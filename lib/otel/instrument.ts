import * as dc from 'node:diagnostics_channel';
import { SAFE_STATE_CHANNELS } from '../observe/channels';
import type { ItemDoneMessage, ItemFailedMessage, ItemMessage, ItemRetryMessage, JobEndMessage, JobStartMessage, SaveMessage } from '../observe/messages';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import type { OtelApi, OtelAttributes, OtelMeter, OtelSpan, OtelTracer } from './otel-api';
import { loadOtelApi } from './load-api';

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /**
   * The `@opentelemetry/api` module. Default: the one installed beside safe-state or in the
   * application (`require('@opentelemetry/api')`); pass it when it lives elsewhere (a bundle, a
   * monorepo package), so that safe-state uses the same global providers as the application.
   */
  api?: OtelApi;
  /** The tracer to record spans with. Default: `api.trace.getTracer('safe-state')`. */
  tracer?: OtelTracer;
  /** The meter to record metrics with. Default: `api.metrics.getMeter('safe-state')`. */
  meter?: OtelMeter;
  /**
   * Whether every item gets a span of its own (a child of its job's span), besides the counters.
   * Default `false`: a job of a million items would make a million spans.
   */
  itemSpans?: boolean;
}

/** `SpanStatusCode.ERROR` of `@opentelemetry/api` (a stable value of the OpenTelemetry specification). */
const STATUS_ERROR = 2;

/** Save latencies are recorded in seconds (OpenTelemetry's unit for durations); these buckets span 50 µs to 5 s. */
const SAVE_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const OPTION_KEYS = new Set(['api', 'tracer', 'meter', 'itemSpans']);

function checkOptions(options: InstrumentOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError('options', `instrument(): options must be an object (got ${options === null ? 'null' : typeof options})`);
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) throw new InvalidOptionsError(k, `instrument(): unknown option '${k}' (known: ${[...OPTION_KEYS].join(', ')})`);
  }
  if (options.itemSpans !== undefined && typeof options.itemSpans !== 'boolean') {
    throw new InvalidOptionsError('itemSpans', `itemSpans: instrument() takes true or false (got ${typeof options.itemSpans})`);
  }
  for (const [k, method] of [['tracer', 'startSpan'], ['meter', 'createCounter']] as const) {
    const v = options[k] as unknown;
    if (v !== undefined && typeof (v as Record<string, unknown> | null)?.[method] !== 'function') {
      throw new InvalidOptionsError(k, `${k}: instrument() needs an OpenTelemetry ${k === 'tracer' ? 'Tracer' : 'Meter'} (an object with ${method}())`);
    }
  }
}

function jobAttributes(m: { job: string; run: number }): OtelAttributes {
  return { 'safe_state.job.name': m.job, 'safe_state.job.run': m.run };
}

function itemAttributes(m: Omit<ItemMessage, 'index'> & { index: number | null }): OtelAttributes {
  const a: OtelAttributes = { 'safe_state.job.name': m.job };
  if (m.index !== null) a['safe_state.item.index'] = m.index;
  if (m.key !== undefined) a['safe_state.item.key'] = m.key;
  return a;
}

function asException(error: unknown): Error | string {
  return error instanceof Error ? error : String(error);
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** Marks a span failed with `error`. */
function fail(span: OtelSpan, error: unknown): void {
  span.recordException(asException(error));
  span.setStatus({ code: STATUS_ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Records safe-state's jobs with OpenTelemetry, from the diagnostics channels (docs/observability.md):
 *
 * - **Spans.** One span per call of a job, `job <name>`, from `safe-state:job:start` to
 *   `safe-state:job:end`, a child of the span active where the job was called; status ERROR with the
 *   exception when the call rejects. With `itemSpans: true`, one span per item too, `item <name>`,
 *   a child of its job's span (ERROR for a failed item). A retried try is an event `retry` on the
 *   job's span. The job's span is not made active for the job's body: spans the body starts are
 *   children of the caller's span, not of the job's.
 * - **Metrics.** Counters `safe_state.items.done`, `safe_state.items.failed`, `safe_state.items.retried`
 *   (attribute `safe_state.job.name`) and a histogram `safe_state.save.duration` in seconds
 *   (attributes `safe_state.job.name`, `safe_state.save.kind`, and `error.type` for a failed save).
 *
 * Calls that started before `instrument()` get no job span (their items are still counted). Each
 * call of `instrument()` subscribes once more: call it once per process.
 *
 * @param options - the API module, tracer and meter to use (default: those of the installed
 *   `@opentelemetry/api`), and whether items get spans
 * @returns a function that unsubscribes (the spans of jobs still running are then left unended)
 * @throws {@link InvalidOptionsError} (option `api`) when `@opentelemetry/api` is not installed and
 *   no `api` was passed; (the option named) for an unknown option or an option of the wrong type
 * @example
 * ```ts
 * import { instrument } from 'safe-state/otel';
 *
 * const uninstall = instrument({ itemSpans: true }); // after the OpenTelemetry SDK is set up
 * await new Thumbnails().run(images);                // a span `job thumbnails`, one `item thumbnails` per image
 * uninstall();
 * ```
 */
export function instrument(options: InstrumentOptions = {}): () => void {
  checkOptions(options);
  const api = options.api ?? loadOtelApi();
  const tracer = options.tracer ?? api.trace.getTracer('safe-state');
  const meter = options.meter ?? api.metrics.getMeter('safe-state');
  const itemSpans = options.itemSpans === true;
  const done = meter.createCounter('safe_state.items.done', { unit: '{item}', description: 'Items of safe-state jobs that completed' });
  const failed = meter.createCounter('safe_state.items.failed', { unit: '{item}', description: 'Items of safe-state jobs that failed for good (no try left)' });
  const retried = meter.createCounter('safe_state.items.retried', { unit: '{item}', description: 'Tries of items of safe-state jobs that failed and were retried' });
  const saveDuration = meter.createHistogram('safe_state.save.duration', {
    unit: 's',
    description: 'Duration of checkpoint writes of safe-state jobs',
    advice: { explicitBucketBoundaries: SAVE_BUCKETS_S },
  });
  /** the span of each running call, by runId */
  const jobs = new Map<number, { span: OtelSpan; context: unknown }>();

  const itemSpan = (m: ItemDoneMessage | ItemFailedMessage): OtelSpan | null => {
    const job = jobs.get(m.runId);
    if (!itemSpans || !job) return null;
    return tracer.startSpan(`item ${m.job}`, { attributes: itemAttributes(m), startTime: Date.now() - (m.durationMs ?? 0) }, job.context);
  };

  const handlers: Record<string, (message: unknown) => void> = {
    [SAFE_STATE_CHANNELS.jobStart]: (message) => {
      const m = message as JobStartMessage;
      const parent = api.context.active();
      const span = tracer.startSpan(`job ${m.job}`, {
        attributes: {
          ...jobAttributes(m),
          'safe_state.job.resumed': m.resumed,
          'safe_state.job.backend': m.backend,
          'safe_state.items.done_before': m.done,
          ...(m.total !== null ? { 'safe_state.items.total': m.total } : {}),
        },
        startTime: m.startedAt,
      }, parent);
      jobs.set(m.runId, { span, context: api.trace.setSpan(parent, span) });
    },
    [SAFE_STATE_CHANNELS.itemDone]: (message) => {
      const m = message as ItemDoneMessage;
      done.add(1, { 'safe_state.job.name': m.job });
      itemSpan(m)?.end(Date.now());
    },
    [SAFE_STATE_CHANNELS.itemFailed]: (message) => {
      const m = message as ItemFailedMessage;
      failed.add(1, { 'safe_state.job.name': m.job });
      const span = itemSpan(m);
      if (!span) return;
      span.setAttributes({ 'safe_state.item.tries': m.tries, 'safe_state.item.action': m.action });
      fail(span, m.error);
      span.end(Date.now());
    },
    [SAFE_STATE_CHANNELS.itemRetry]: (message) => {
      const m = message as ItemRetryMessage;
      retried.add(1, { 'safe_state.job.name': m.job });
      jobs.get(m.runId)?.span.addEvent('retry', {
        ...itemAttributes(m),
        'safe_state.item.tries': m.tries,
        'safe_state.retry.attempts': m.attempts,
        'safe_state.retry.delay_ms': m.delayMs,
        'error.type': errorType(m.error),
      });
    },
    [SAFE_STATE_CHANNELS.save]: (message) => {
      const m = message as SaveMessage;
      const a: OtelAttributes = { 'safe_state.job.name': m.job, 'safe_state.save.kind': m.kind };
      if ('error' in m) a['error.type'] = errorType(m.error);
      saveDuration.record(m.durationMs / 1000, a);
    },
    [SAFE_STATE_CHANNELS.jobEnd]: (message) => {
      const m = message as JobEndMessage;
      const job = jobs.get(m.runId);
      if (!job) return;
      jobs.delete(m.runId);
      job.span.setAttributes({ 'safe_state.job.outcome': m.outcome, 'safe_state.items.done': m.done });
      if (m.outcome === 'failed') fail(job.span, m.error);
      job.span.end(Date.now());
    },
  };
  for (const [name, fn] of Object.entries(handlers)) dc.subscribe(name, fn);
  let installed = true;
  return () => {
    if (!installed) return;
    installed = false;
    for (const [name, fn] of Object.entries(handlers)) dc.unsubscribe(name, fn);
    jobs.clear();
  };
}
