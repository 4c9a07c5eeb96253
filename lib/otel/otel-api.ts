/**
 * The part of `@opentelemetry/api` that `safe-state/otel` uses, described by its shape: safe-state
 * does not depend on the package's types (it is an optional peer), and the module itself, or a
 * tracer and meter of its making, fit these interfaces as they are.
 */

/** Attribute values safe-state sets (a subset of OpenTelemetry's `AttributeValue`). */
export type OtelAttributes = Record<string, string | number | boolean>;

/** A point in time as OpenTelemetry takes it; safe-state passes milliseconds since the epoch. */
export type OtelTime = number;

/** An OpenTelemetry `Span`, as far as safe-state uses it. */
export interface OtelSpan {
  /** Sets attributes on the span. */
  setAttributes(attributes: OtelAttributes): unknown;
  /** Adds an event to the span. */
  addEvent(name: string, attributes?: OtelAttributes): unknown;
  /** Sets the span's status (safe-state sets `{ code: 2 }`, `SpanStatusCode.ERROR`, on failures). */
  setStatus(status: { code: number; message?: string }): unknown;
  /** Records an exception as a span event. */
  recordException(exception: Error | string): void;
  /** Ends the span. */
  end(endTime?: OtelTime): void;
}

/** An OpenTelemetry `Tracer`, as far as safe-state uses it. */
export interface OtelTracer {
  /** Starts a span (as a child of the span in `context`). */
  startSpan(name: string, options?: { attributes?: OtelAttributes; startTime?: OtelTime }, context?: unknown): OtelSpan;
}

/** An OpenTelemetry `Counter`, as far as safe-state uses it. */
export interface OtelCounter {
  /** Adds `value` to the counter. */
  add(value: number, attributes?: OtelAttributes): void;
}

/** An OpenTelemetry `Histogram`, as far as safe-state uses it. */
export interface OtelHistogram {
  /** Records one measurement. */
  record(value: number, attributes?: OtelAttributes): void;
}

/** Options of an instrument (OpenTelemetry's `MetricOptions`), as far as safe-state sets them. */
export interface OtelMetricOptions {
  description?: string;
  unit?: string;
  /** bucket boundaries advised to the SDK (ignored by versions of the API without `advice`) */
  advice?: { explicitBucketBoundaries?: number[] };
}

/** An OpenTelemetry `Meter`, as far as safe-state uses it. */
export interface OtelMeter {
  /** Creates a counter. */
  createCounter(name: string, options?: OtelMetricOptions): OtelCounter;
  /** Creates a histogram. */
  createHistogram(name: string, options?: OtelMetricOptions): OtelHistogram;
}

/**
 * The `@opentelemetry/api` module (`import * as api from '@opentelemetry/api'`), as far as
 * safe-state uses it: the global tracer and meter providers, and the context in which job spans
 * become the parents of item spans.
 */
export interface OtelApi {
  /** `trace`: the global tracer provider and span contexts. */
  trace: {
    getTracer(name: string, version?: string): OtelTracer;
    setSpan(context: unknown, span: OtelSpan): unknown;
  };
  /** `context`: the active context. */
  context: {
    active(): unknown;
  };
  /** `metrics`: the global meter provider. */
  metrics: {
    getMeter(name: string, version?: string): OtelMeter;
  };
}
