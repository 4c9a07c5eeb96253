import { SafeStateError, hasCode } from './safe-state-error';
import type { FailedItem } from '../state/failed-items';

/**
 * A job with `onItemError: 'skip'` went through its whole input, but some items failed (each after
 * its tries). Every other item is done; the checkpoint is kept, and the next run runs only the
 * failed items (and any never reached). `safe-state reset --failed` forgets them instead.
 *
 * @example
 * ```ts
 * try { await job.run(rows); }
 * catch (e) {
 *   if (JobFailuresError.is(e)) for (const f of e.failedItems) console.error(`row ${f.index}: ${f.message}`);
 *   else throw e;
 * }
 * ```
 */
export class JobFailuresError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'JOB_FAILURES';
  /** The job's name. */
  readonly jobName: string;
  /** How many items failed. */
  readonly count: number;
  /** The failed items (the first 100 when more failed; `count` has them all). */
  readonly failedItems: readonly FailedItem[];

  /**
   * @param jobName - the job
   * @param count - number of failed items
   * @param failedItems - details of the first ones
   */
  constructor(jobName: string, count: number, failedItems: readonly FailedItem[]) {
    const shown = failedItems.slice(0, 3).map((f) => `${f.key !== undefined ? JSON.stringify(f.key) : f.index}: ${f.name}: ${f.message}`).join('; ');
    super('JOB_FAILURES', `job '${jobName}' went through its input but ${count} item${count === 1 ? '' : 's'} failed (${shown}${count > 3 ? '; …' : ''}); every other item is done and the checkpoint is kept: the next run runs only the failed items ('safe-state reset --failed' forgets them)`);
    this.jobName = jobName;
    this.count = count;
    this.failedItems = Object.freeze(failedItems.slice());
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is JobFailuresError {
    return error instanceof JobFailuresError || hasCode(error, 'JOB_FAILURES');
  }
}
