import { deleteCompanions } from '../../engine/companions';
import { BackendError } from '../../errors/backend-error';
import { SafeStateError } from '../../errors/safe-state-error';
import { ExitCode } from '../exit-codes';
import { JobNotFoundError } from '../cli-errors';
import { resolveJob } from '../resolve-job';
import { displayPath } from '../format';
import { printJson } from '../json-output';
import type { CommandContext } from '../context';
import { withJobLock } from './job-lock';
import { terminalText } from '../../util/terminal-text';
import { clearSharedJob } from '../shared-jobs';

/**
 * `safe-state clear <job>`: deletes the checkpoint under the job's lock (also an unreadable one:
 * the way out of a damaged checkpoint). The job's next run starts over.
 * @internal
 */
export async function clearCommand(ctx: CommandContext): Promise<number> {
  const { args, selected, io } = ctx;
  const job = await resolveJob(selected, args.job!);
  const location = selected.backend.location(job);
  await withJobLock(ctx, job, async () => {
    try {
      if (!(await selected.backend.exists(job))) {
        // a shared job's record, or cleared meanwhile
        if (!(await clearSharedJob(selected.backend, job))) throw new JobNotFoundError(job, selected.where);
      } else {
        await selected.backend.delete(job);
        await deleteCompanions(selected.backend, job); // its idempotency records go with it
      }
    } catch (e) {
      if (SafeStateError.is(e)) throw e;
      throw new BackendError(`cannot clear the checkpoint of job '${job}': ${(e as Error).message}`, { cause: e });
    }
  });
  if (args.json) io.stdout.write(printJson({ job, cleared: true, location }));
  else io.stdout.write(`cleared the checkpoint of job '${terminalText(job)}'${location ? ` (${terminalText(displayPath(location))})` : ''}: its next run starts over\n`);
  return ExitCode.OK;
}
