import type { StateBackend } from '../backends/state-backend';
import { asBackendError } from './backend-call';

/**
 * Backend entries that safe-state keeps beside checkpoints under names of its own. Every such name
 * starts with this prefix, so listings (the CLI) can tell them from jobs; job names should not.
 * @internal
 */
export const RESERVED_PREFIX = 'safe-state:';

/**
 * Name of the entry holding the `@Idempotent` records of a job (written by lib/idempotency while
 * the job runs). It lives and dies with the job's checkpoint.
 * @internal
 */
export function idempotencyStoreName(jobName: string): string {
  return `${RESERVED_PREFIX}idempotency:job:${jobName}`;
}

/** Whether a backend entry name is one of safe-state's own entries rather than a job. @internal */
export function isReservedName(name: string): boolean {
  return name.startsWith(RESERVED_PREFIX);
}

/**
 * Deletes what lives with a job's checkpoint (its `@Idempotent` records). The engine calls it when
 * a run starts fresh, when a job completes and its checkpoint is cleared, and on `clearCheckpoint()`.
 * @internal
 */
export async function deleteCompanions(backend: StateBackend, jobName: string): Promise<void> {
  try {
    await backend.delete(idempotencyStoreName(jobName));
  } catch (e) {
    throw asBackendError(e, `cannot delete the idempotency records of job '${jobName}'`);
  }
}
