import { SafeStateError } from '../errors/safe-state-error';

/**
 * A command line that cannot be run as given (unknown command or option, a missing or malformed
 * argument). Exit code 2.
 * @internal
 */
export class UsageError extends SafeStateError {
  constructor(
    message: string,
    /** print the whole usage text (nothing sensible was given at all) */
    readonly showUsage = false,
  ) {
    super('USAGE', message);
  }
}

/**
 * The backend has no checkpoint for the job named on the command line. Exit code 1.
 * @internal
 */
export class JobNotFoundError extends SafeStateError {
  constructor(
    readonly jobName: string,
    where: string,
    /** job names that look like the one asked for */
    readonly suggestions: string[] = [],
  ) {
    const hint = suggestions.length ? `; did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?` : '; `safe-state list` shows the jobs';
    super('JOB_NOT_FOUND', `no checkpoint for job '${jobName}' in ${where}${hint}`);
  }
}
