import type { StateBackend } from '../backends/state-backend';
import type { CheckpointDoc } from '../state/checkpoint-doc';
import { CodecError, decodeCheckpoint } from '../state/checkpoint-codec';
import { CheckpointCorruptError } from '../errors/checkpoint-corrupt-error';
import { asBackendError } from './backend-call';
import type { Keyring } from '../state/keyring';
import { openSealed } from '../state/sealer';
import type { StoredRecord } from '../backends/transactional-records';
import { foldCommittedItems } from './committed-items';
import { SERIALIZATION_LIMITS, checkCheckpointSize } from '../state/limits';

/**
 * Loads, verifies (with a keyring: signature, decryption) and decodes a job's checkpoint; `null`
 * when there is none. Damage, a signature that does not match, or unsigned data while a secret is
 * configured fail with {@link CheckpointCorruptError} naming the job and the location; the stored
 * data is left as it is.
 *
 * Items that committed inside transactions (exactly-once with a `SqlBackend`) are folded in; the
 * records read are added to `folded`, for the caller that will delete them after a whole save.
 * @internal
 */
export async function loadCheckpoint(backend: StateBackend, jobName: string, keyring: Keyring | null = null, folded?: StoredRecord[]): Promise<CheckpointDoc | null> {
  const doc = await decodeStored(backend, jobName, keyring);
  const rows = await foldCommittedItems(backend, jobName, doc, folded !== undefined);
  folded?.push(...rows);
  return doc;
}

async function decodeStored(backend: StateBackend, jobName: string, keyring: Keyring | null): Promise<CheckpointDoc | null> {
  let text: string | null;
  try {
    text = await backend.load(jobName);
  } catch (e) {
    throw asBackendError(e, `cannot load the checkpoint of job '${jobName}'`);
  }
  if (text === null) return null;
  const where = backend.location(jobName);
  try {
    if (typeof text !== 'string') throw new CodecError(1, `the backend returned ${typeof text} instead of text`);
    // the length first, before any parsing (signature check, lines, JSON): a huge text fails at once
    if (text.length > SERIALIZATION_LIMITS.maxCheckpointChars) {
      try {
        checkCheckpointSize(text);
      } catch (e) {
        throw new CodecError(1, (e as Error).message);
      }
    }
    const doc = decodeCheckpoint(openSealed(text, keyring, jobName));
    if (doc.jobName !== jobName) throw new CodecError(1, `it belongs to job '${doc.jobName}'`);
    return doc;
  } catch (e) {
    if (e instanceof CodecError) throw new CheckpointCorruptError(jobName, `${where ? where + ' ' : ''}(record ${e.line})`, e.message);
    throw e;
  }
}
