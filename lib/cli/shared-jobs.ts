import type { StateBackend } from '../backends/state-backend';
import type { SharedChunkStore } from '../backends/shared-chunks';
import { sharedDoc } from '../engine/shared-handle';
import { report, type JobReport } from './read-job';

/*
 * Shared jobs (`workers: 'shared'`) in the CLI: their records live in the backend's chunk store,
 * not under the job's checkpoint key, so listing, showing and clearing look there too.
 */

function storeOf(backend: StateBackend): SharedChunkStore | null {
  return typeof backend.sharedChunks === 'function' ? backend.sharedChunks() : null;
}

/** Names of the shared jobs of a backend (none when it has no chunk store). @internal */
export async function sharedJobNames(backend: StateBackend): Promise<string[]> {
  return (await storeOf(backend)?.list()) ?? [];
}

/** A shared job's record as a CLI report, or null when there is none. @internal */
export async function readSharedJob(backend: StateBackend, job: string): Promise<JobReport | null> {
  const s = await storeOf(backend)?.status(job);
  return s ? report(sharedDoc(job, s), backend.location(job)) : null;
}

/** Removes a shared job's record; false when there was none. @internal */
export async function clearSharedJob(backend: StateBackend, job: string): Promise<boolean> {
  const store = storeOf(backend);
  if (!store || !(await store.status(job))) return false;
  await store.clear(job);
  return true;
}
