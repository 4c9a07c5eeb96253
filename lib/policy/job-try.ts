import type { JobRun } from '../engine/job-run';
import { SafeStateError } from '../errors/safe-state-error';
import { emitEngineWarning } from '../engine/logger';
import type { RetrySeries } from './retry-series';
import type { RetryAttempt } from './retry-options';
import type { ItemKey } from '../progress/key-progress';
import { skipFailedItem, rejectIfFailures } from './item-failures';

/**
 * Errors worth another try: anything the body threw but safe-state's own errors about the job's
 * setup (changed input, bad options, a value that cannot be saved, …), which a retry would only
 * meet again. A `BackendError` (a storage hiccup) is retried.
 */
function retryableByDefault(error: unknown): boolean {
  return !SafeStateError.is(error) || (error as SafeStateError).code === 'BACKEND_ERROR';
}

/**
 * One try of a call with a failure policy, as the engine sees it: {@link JobTry.started} when the
 * run is set up, {@link JobTry.failed} when the body failed (before the failure is saved), and
 * {@link JobTry.ended} when the try is over.
 * @internal
 */
export class JobTry {
  /** set by {@link JobTry.failed}: the delay before the next try, or null when none follows */
  retryAfterMs: number | null = null;
  /** set by {@link JobTry.failed}: the failed item was recorded as failed and the call goes on at once */
  skipped = false;
  /** tries of the failed item so far, this one included (0 until a failure) */
  tries = 0;
  /** the item the try failed at: its index (null outside an item) and key (with `key`) */
  failedIndex: number | null = null;
  failedKey: ItemKey | undefined = undefined;
  private onAbort: (() => void) | null = null;

  constructor(readonly series: RetrySeries, readonly signal: AbortSignal | undefined, readonly onItemError: 'stop' | 'skip' = 'stop') {}

  /** The run is set up (checkpoint loaded) and the body is about to start. */
  started(run: JobRun): void {
    this.series.inherit(run.doc.lastFailure);
    const signal = this.signal;
    if (!signal) return;
    run.signal = signal;
    if (signal.aborted) return haltBeforeNextItem(run, signal.reason);
    this.onAbort = () => haltBeforeNextItem(run, signal.reason);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * The body failed at `failedAt` (-1: outside an item) and `run.doc.lastFailure` records it: adds
   * the item's tries (and key) to the record and decides whether a retry follows (`retrying`),
   * before the record is saved.
   */
  async failed(error: unknown, failedAt: number, run: JobRun): Promise<void> {
    const f = run.doc.lastFailure!;
    const index = failedAt >= 0 ? failedAt : null;
    const key = run.keyFn && failedAt >= 0 ? keyOfFailed(run, failedAt) : undefined;
    this.failedIndex = index;
    this.failedKey = key;
    const tries = (this.tries = this.series.count(index, key));
    f.tries = tries;
    if (key !== undefined) f.key = key;
    const retrying = await this.shouldRetry(error, { attempt: tries, index, key }, run);
    f.retrying = retrying;
    this.retryAfterMs = retrying ? this.series.delayAfter(tries) : null;
    if (!retrying && this.onItemError === 'skip' && !this.signal?.aborted && skipFailedItem(run, index, key, error, tries)) {
      this.skipped = true;
      this.retryAfterMs = 0;
    }
  }

  /** The body returned: rejects with `JobFailuresError` when items failed in this call. */
  finishing(run: JobRun): Promise<void> {
    return rejectIfFailures(run);
  }

  private async shouldRetry(error: unknown, attempt: RetryAttempt, run: JobRun): Promise<boolean> {
    const policy = this.series.policy;
    if (!policy || attempt.attempt >= policy.attempts || this.signal?.aborted) return false;
    if (!policy.retryIf) return retryableByDefault(error);
    try {
      return (await policy.retryIf(error, attempt)) === true;
    } catch (e) {
      const msg = `job '${run.name}': retry.retryIf threw (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}); the failure is not retried and the call rejects with the original error`;
      if (run.logger) run.logger.warn(msg);
      else emitEngineWarning(msg, 'SAFE_STATE_RETRY_IF_THREW');
      return false;
    }
  }

  /** The try is over (the listener on a shared signal must not stay). */
  ended(): void {
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    this.onAbort = null;
  }
}

/**
 * The key of the item that failed: the one in flight, or (in `concurrently()` over an array) the
 * key of that array's item; undefined when it cannot be known (an iterable in `concurrently()`).
 */
function keyOfFailed(run: JobRun, index: number): ItemKey | undefined {
  if (index === run.inFlight) return run.inFlightItemKey;
  const t = run.tracked;
  if (t?.kind !== 'array' || index >= t.view.length) return undefined;
  try {
    return run.keyOf(t.view[index], index);
  } catch {
    return undefined; // the key function failed on it: the item cannot be skipped (the job stops)
  }
}

/**
 * The job stops before its next item: the next item the tracked input would hand out throws
 * `reason` instead (the one in flight finishes and counts as done). `begin()` is replaced on this
 * run only, so the per-item path pays nothing until a signal is aborted; `concurrently()` reads
 * `halted` before it starts an item.
 * @internal
 */
export function haltBeforeNextItem(run: JobRun, reason: unknown): void {
  if (run.halted) return;
  run.halted = { reason };
  run.begin = () => {
    throw reason;
  };
}
