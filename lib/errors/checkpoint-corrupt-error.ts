import { SafeStateError, hasCode } from './safe-state-error';

/**
 * Stored checkpoint data is damaged, truncated, tampered with, or written by a newer format version.
 * The stored data is kept untouched so it can be inspected; safe-state never silently starts over.
 *
 * @example
 * ```ts
 * catch (e) { if (CheckpointCorruptError.is(e)) console.error(e.jobName, e.location); }
 * ```
 */
export class CheckpointCorruptError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'CHECKPOINT_CORRUPT';
  /** The job whose checkpoint is damaged. */
  readonly jobName: string;
  /** Where the damage is (file path and byte offset, key, table row), when known. */
  readonly location: string | null;

  /**
   * @param jobName - the job
   * @param location - where the damaged data is
   * @param detail - what is wrong
   * @param options - standard `ErrorOptions`
   */
  constructor(jobName: string, location: string | null, detail: string, options?: ErrorOptions) {
    super('CHECKPOINT_CORRUPT', `checkpoint of job '${jobName}'${location ? ` at ${location}` : ''} is unreadable: ${detail}`, options);
    this.jobName = jobName;
    this.location = location;
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is CheckpointCorruptError {
    return error instanceof CheckpointCorruptError || hasCode(error, 'CHECKPOINT_CORRUPT');
  }
}
