import { SafeStateError, hasCode } from './safe-state-error';

/**
 * The input of a job differs from the run that wrote its checkpoint (another item count, or other first items).
 * Clear the checkpoint (`clearCheckpoint()`, `safe-state clear <job>`) or resume by identity with the `key` option.
 *
 * @example
 * ```ts
 * catch (e) { if (InputChangedError.is(e)) await SafeState.of(job, 'run').clearCheckpoint(); }
 * ```
 */
export class InputChangedError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'INPUT_CHANGED';
  /** The job. */
  readonly jobName: string;

  /**
   * @param jobName - the job
   * @param detail - what differs
   */
  constructor(jobName: string, detail: string) {
    super('INPUT_CHANGED', `input of job '${jobName}' changed since its checkpoint was written: ${detail}. Clear the checkpoint (clearCheckpoint() or 'safe-state clear') to start over, or pass the 'key' option to resume by item identity.`);
    this.jobName = jobName;
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is InputChangedError {
    return error instanceof InputChangedError || hasCode(error, 'INPUT_CHANGED');
  }
}
