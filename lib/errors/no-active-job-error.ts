import { SafeStateError, hasCode } from './safe-state-error';

/**
 * `checkpoint()`, `record()` or `concurrently()` was called outside a running job.
 *
 * @example
 * ```ts
 * checkpoint({ page: 2 }); // outside a @SafeState method: throws NoActiveJobError
 * ```
 */
export class NoActiveJobError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'NO_ACTIVE_JOB';
  /**
   * @param fn - the function that was called
   */
  constructor(fn: string) {
    super('NO_ACTIVE_JOB', `${fn}() must be called inside a running safe-state job (a @SafeState method or safeState() function)`);
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is NoActiveJobError {
    return error instanceof NoActiveJobError || hasCode(error, 'NO_ACTIVE_JOB');
  }
}
