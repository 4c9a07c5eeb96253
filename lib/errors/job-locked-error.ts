import { SafeStateError, hasCode } from './safe-state-error';
import type { LockHolder } from '../backends/lock';

/**
 * Another run of the same job holds its lock; the message names the holder (pid, host, since).
 *
 * @example
 * ```ts
 * try { await job.run(items); } catch (e) { if (JobLockedError.is(e)) console.error(e.holder); }
 * ```
 */
export class JobLockedError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'JOB_LOCKED';
  /** Description of the current holder, when known. */
  readonly holder: LockHolder | null;

  /**
   * @param jobName - the job
   * @param holder - who holds it, when known
   */
  constructor(jobName: string, holder: LockHolder | null) {
    super('JOB_LOCKED', `job '${jobName}' is already running${holder ? ` (held by pid ${holder.pid} on ${holder.host} since ${new Date(holder.since).toISOString()})` : ''}`);
    this.holder = holder;
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is JobLockedError {
    return error instanceof JobLockedError || hasCode(error, 'JOB_LOCKED');
  }
}
