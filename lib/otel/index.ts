/**
 * `safe-state/otel`: OpenTelemetry spans and metrics for safe-state's jobs, made from its
 * diagnostics channels. `@opentelemetry/api` is an optional peer dependency: importing `safe-state`
 * never loads it, and this entry loads it only when {@link instrument} is called without `api`.
 * See docs/observability.md.
 *
 * @example
 * ```ts
 * import { instrument } from 'safe-state/otel';
 *
 * instrument(); // once, after the OpenTelemetry SDK is set up
 * ```
 *
 * @packageDocumentation
 */
export { instrument, type InstrumentOptions } from './instrument';
export type { OtelApi, OtelTracer, OtelMeter, OtelSpan, OtelCounter, OtelHistogram, OtelMetricOptions, OtelAttributes, OtelTime } from './otel-api';
