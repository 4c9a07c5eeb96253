import { SafeStateError } from '../errors/safe-state-error';
import { CheckpointCorruptError } from '../errors/checkpoint-corrupt-error';
import { BackendError } from '../errors/backend-error';
import { JobLockedError } from '../errors/job-locked-error';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { JobNotFoundError, UsageError } from './cli-errors';

/**
 * Exit codes of the `safe-state` command (docs/cli.md lists them). Stable: scripts may test them.
 * @internal
 */
export const ExitCode = {
  /** the command did what it was asked */
  OK: 0,
  /** the job has no checkpoint (show, clear, reset) */
  JOB_NOT_FOUND: 1,
  /** the command line is wrong (unknown command or option, bad --items) */
  USAGE: 2,
  /** a checkpoint is unreadable: damaged, or written by a newer safe-state (list: at least one) */
  UNREADABLE: 3,
  /** the backend failed: unreachable server, unreadable directory, or not available in this build */
  BACKEND: 4,
  /** the job is running (its lock is held): clear and reset refuse */
  LOCKED: 5,
  /** a bug: an unexpected error (please report it) */
  INTERNAL: 70,
} as const;

/** @internal */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code an error ends the command with. @internal */
export function exitCodeOf(error: unknown): ExitCodeValue {
  if (error instanceof UsageError || InvalidOptionsError.is(error)) return ExitCode.USAGE;
  if (error instanceof JobNotFoundError) return ExitCode.JOB_NOT_FOUND;
  if (CheckpointCorruptError.is(error)) return ExitCode.UNREADABLE;
  if (JobLockedError.is(error)) return ExitCode.LOCKED;
  if (BackendError.is(error)) return ExitCode.BACKEND;
  return ExitCode.INTERNAL;
}

/** The stable code of an error for `--json` output. @internal */
export function errorCodeOf(error: unknown): string {
  if (SafeStateError.is(error) || error instanceof SafeStateError) return error.code;
  return 'INTERNAL';
}
