import { SafeStateError, hasCode } from './safe-state-error';
import type { LockHolder } from '../backends/lock';

/**
 * Another run of the same job holds its lock; the message names the holder (pid, host, since).
 * Also thrown by a save of a run that held the lock and lost it to another run meanwhile (its
 * process was stopped past the lease, say): {@link JobLockedError.lost} is then `true`, the message
 * says "lost its lock to another run", and nothing of that save was written.
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
  /** Whether this run held the lock and lost it to another run (then its save wrote nothing). */
  readonly lost: boolean;

  /**
   * @param jobName - the job
   * @param holder - who holds it, when known
   * @param lost - this run held the lock and another run took the job over since
   */
  constructor(jobName: string, holder: LockHolder | null, lost = false) {
    const by = holder ? ` (held by pid ${holder.pid} on ${holder.host} since ${new Date(holder.since).toISOString()})` : '';
    super(
      'JOB_LOCKED',
      lost
        ? `job '${jobName}' lost its lock to another run${by}: this run stopped without writing (the other run owns the job's checkpoint now)`
        : `job '${jobName}' is already running${by}`,
    );
    this.holder = holder;
    this.lost = lost;
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is JobLockedError {
    return error instanceof JobLockedError || hasCode(error, 'JOB_LOCKED');
  }
}
