import type { StateBackend } from '../backends/state-backend';
import { newDoc, type CheckpointDoc } from '../state/checkpoint-doc';
import type { SharedJobStatus } from '../backends/shared-chunks';
import { Checkpoint } from './checkpoint';
import { chunkStoreOf } from './shared-run';

/**
 * `peekCheckpoint()` of a shared job: its record and done items as a {@link Checkpoint}
 * (`complete` once every chunk is done; `runCount` counts worker starts), or `null` when there is
 * no record (never run, cleared, or past its retention).
 * @internal
 */
export async function peekShared(backend: StateBackend, name: string): Promise<Checkpoint | null> {
  const s = await chunkStoreOf(backend).status(name);
  return s ? new Checkpoint(sharedDoc(name, s), backend.location(name)) : null;
}

/** A shared job's status as the engine's checkpoint model (for `peekCheckpoint()` and the CLI). @internal */
export function sharedDoc(name: string, s: SharedJobStatus): CheckpointDoc {
  const doc = newDoc(name, null);
  for (const i of s.doneItems) doc.progress.markDone(i);
  doc.totalItems = s.total;
  doc.fingerprint = s.fingerprint.slice();
  doc.runCount = s.runCount;
  doc.complete = s.complete;
  doc.lastFailure = s.lastFailure;
  doc.updatedAt = s.updatedAt || doc.updatedAt;
  return doc;
}

/** `clearCheckpoint()` of a shared job: removes its record and chunks. @internal */
export async function clearShared(backend: StateBackend, name: string): Promise<void> {
  await chunkStoreOf(backend).clear(name);
}
