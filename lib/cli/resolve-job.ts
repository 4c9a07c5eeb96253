import * as path from 'node:path';
import { CheckpointCorruptError } from '../errors/checkpoint-corrupt-error';
import { BackendError } from '../errors/backend-error';
import { SafeStateError } from '../errors/safe-state-error';
import { JobNotFoundError } from './cli-errors';
import { isReservedName } from '../engine/companions';
import type { SelectedBackend } from './backend-from-args';
import { sharedJobNames } from './shared-jobs';

/** The jobs of a backend, without safe-state's own entries (idempotency records). @internal */
export async function listJobs(selected: SelectedBackend): Promise<string[]> {
  try {
    const names = [...new Set([...(await selected.backend.list()), ...(await sharedJobNames(selected.backend))])].sort();
    return names.filter((n) => !isReservedName(n));
  } catch (e) {
    if (SafeStateError.is(e)) throw e;
    throw new BackendError(`cannot list the jobs in ${selected.where}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The job a command-line argument names: a job name, or (for file backends) the name or path of
 * its checkpoint file, as the verbose output prints it (`image-scrape-2233a0d7f032.safestate`).
 * Throws {@link JobNotFoundError} (with look-alike names) when there is no such checkpoint, and
 * {@link CheckpointCorruptError} for a checkpoint file whose header is too damaged to name its job.
 * @internal
 */
export async function resolveJob(selected: SelectedBackend, arg: string): Promise<string> {
  const { backend } = selected;
  try {
    if (await backend.exists(arg)) return arg;
    if ((await sharedJobNames(backend)).includes(arg)) return arg;
  } catch (e) {
    if (SafeStateError.is(e)) throw e;
    throw new BackendError(`cannot reach ${selected.where}: ${(e as Error).message}`, { cause: e });
  }
  const names = await listJobs(selected);
  const file = path.basename(arg);
  const asFile = names.find((n) => {
    const loc = backend.location(n);
    return loc !== null && (path.basename(loc) === file || path.basename(loc) === `${file}.safestate`);
  });
  if (asFile !== undefined && (file === arg || path.resolve(arg) === backend.location(asFile) || path.resolve(`${arg}.safestate`) === backend.location(asFile))) {
    return asFile;
  }
  const stray = (await selected.unlistedFiles()).find((f) => path.basename(f) === file || path.basename(f) === `${file}.safestate`);
  if (stray) throw new CheckpointCorruptError(arg, stray, 'not a readable checkpoint file (its header is damaged, so it names no job); delete the file to start over');
  const lower = arg.toLowerCase();
  const similar = names.filter((n) => n.toLowerCase().includes(lower) || lower.includes(n.toLowerCase())).slice(0, 3);
  throw new JobNotFoundError(arg, selected.where, similar);
}
