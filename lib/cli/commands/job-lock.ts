import { currentHolder, type BackendLock } from '../../backends/lock';
import { JobLockedError } from '../../errors/job-locked-error';
import { BackendError } from '../../errors/backend-error';
import { SafeStateError } from '../../errors/safe-state-error';
import { withHint, type CommandContext } from '../context';

/**
 * Runs `fn` holding the job's lock, as a run of the job would hold it, so that clear and reset
 * never change a checkpoint under a running job: a held lock fails with {@link JobLockedError}
 * (exit code 5) naming the holder.
 * @internal
 */
export async function withJobLock<T>(ctx: CommandContext, job: string, fn: () => Promise<T>): Promise<T> {
  let lock: BackendLock;
  try {
    lock = await ctx.selected.backend.lock(job, currentHolder());
  } catch (e) {
    if (JobLockedError.is(e)) {
      throw withHint(e, `${ctx.args.command} changes nothing while the job runs: stop it, or wait until it ends, and try again`);
    }
    if (SafeStateError.is(e)) throw e;
    throw new BackendError(`cannot lock job '${job}' in ${ctx.selected.where}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
