import type { ItemKey } from '../progress/key-progress';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { exponentialBackoff, type Backoff } from './backoff';

/**
 * What `retryIf` is told about a failed try.
 *
 * @example
 * ```ts
 * retryIf: (error, t) => t.index !== null && (error as { status?: number }).status !== 400
 * ```
 */
export interface RetryAttempt {
  /** Tries of this item so far, the failed one included (1 after the first failure). */
  attempt: number;
  /** Index of the item in flight, or `null` when the body failed outside an item. */
  index: number | null;
  /** The item's key with the `key` option, else `undefined`. */
  key: ItemKey | undefined;
}

/**
 * The `retry` option: a failed try is retried inside the same call after a backoff, resuming at the
 * item that failed exactly as a rerun would (see docs/failures.md).
 *
 * @example
 * ```ts
 * @SafeState({ name: 'import', retry: { attempts: 5, minDelayMs: 200, maxDelayMs: 10_000, jitter: 0.5 } })
 * async run(rows: Row[]) { for (const row of rows) await api.put(row); }
 * ```
 */
export interface RetryOptions {
  /** Tries in all (integer >= 1), the first one included. `1` means no retry. Required. */
  attempts: number;
  /** Delay before the first retry, ms (>= 0). Default `100`. */
  minDelayMs?: number;
  /** Upper bound of a delay, ms (>= minDelayMs). Default `30000`. */
  maxDelayMs?: number;
  /** Growth of the delay per retry (>= 1). Default `2`. */
  factor?: number;
  /**
   * Random part of each delay: `false`/`0` none (default), `true` the whole delay ("full jitter"),
   * a number in 0..1 that fraction of it. The delay is drawn from `[d * (1 - jitter), d]`.
   */
  jitter?: boolean | number;
  /**
   * Whether a failure is worth another try (default: every error but safe-state's own, except
   * `BackendError`). May return a promise. When it throws, the failure is not retried: the call
   * rejects with the original error and the `retryIf` error is reported as a warning.
   */
  retryIf?: (error: unknown, attempt: RetryAttempt) => boolean | Promise<boolean>;
}

/** The `retry` option resolved: defaults filled in, frozen. @internal */
export interface RetryPolicy {
  readonly attempts: number;
  /** backoff before the first retry; `.next()` for the later ones */
  readonly backoff: Backoff;
  readonly retryIf: RetryOptions['retryIf'] | undefined;
}

const RETRY_KEYS = new Set(['attempts', 'minDelayMs', 'maxDelayMs', 'factor', 'jitter', 'retryIf']);

function fail(field: string, message: string): never {
  throw new InvalidOptionsError(`retry.${field}`, `retry.${field}: ${message}`);
}

function number(o: Record<string, unknown>, field: string, dflt: number, min: number, integer = false): number {
  const v = o[field];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    fail(field, `must be ${integer ? 'an integer' : 'a number'} >= ${min} (got ${String(v)})`);
  }
  return v;
}

/**
 * Validates the `retry` option and resolves it once (the caller's object is not kept: changing
 * it later changes nothing). Throws {@link InvalidOptionsError} naming `retry` or `retry.<field>`.
 * @internal
 */
export function resolveRetry(value: unknown, random?: () => number): RetryPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionsError('retry', `retry: must be an object such as { attempts: 3 } (got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`);
  }
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!RETRY_KEYS.has(k)) fail(k, `unknown field (known: ${[...RETRY_KEYS].join(', ')})`);
  if (o.attempts === undefined) fail('attempts', 'is required: the number of tries in all, e.g. { attempts: 3 }');
  const attempts = number(o, 'attempts', 1, 1, true);
  const minDelayMs = number(o, 'minDelayMs', 100, 0);
  const maxDelayMs = number(o, 'maxDelayMs', Math.max(30_000, minDelayMs), minDelayMs);
  const factor = number(o, 'factor', 2, 1);
  let jitter = 0;
  if (o.jitter !== undefined) {
    if (typeof o.jitter === 'boolean') jitter = o.jitter ? 1 : 0;
    else if (typeof o.jitter === 'number' && o.jitter >= 0 && o.jitter <= 1) jitter = o.jitter;
    else fail('jitter', `must be a boolean or a number from 0 to 1 (got ${String(o.jitter)})`);
  }
  if (o.retryIf !== undefined && typeof o.retryIf !== 'function') fail('retryIf', `must be a function (error, attempt) => boolean (got ${typeof o.retryIf})`);
  return Object.freeze({
    attempts,
    backoff: exponentialBackoff({ minDelayMs, maxDelayMs, factor, jitter, random }),
    retryIf: o.retryIf as RetryOptions['retryIf'],
  });
}
