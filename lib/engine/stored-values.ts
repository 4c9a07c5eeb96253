import { reviveValue } from '../reconnect/revive';
import { deserializeInert } from '../state/serializer';
import { PayloadError } from '../state/limits';
import { CheckpointCorruptError } from '../errors/checkpoint-corrupt-error';

/**
 * Rebuilds a user value stored in a checkpoint (state, frozen fields, a result) for a resuming
 * run, reconnecting its live objects. Damaged text, or text beyond the serialization limits, fails
 * with {@link CheckpointCorruptError} naming the job, the location and the value; a failing
 * reconnect with `ReconnectError`.
 * @internal
 */
export async function reviveStored(text: string, root: string, jobName: string, location: string | null): Promise<unknown> {
  try {
    return await reviveValue(text, root);
  } catch (e) {
    if (e instanceof PayloadError) throw new CheckpointCorruptError(jobName, location, `${root}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Parses a stored user value for inspection: live objects stay inert descriptors. Damage fails
 * with {@link CheckpointCorruptError}.
 * @internal
 */
export function inertStored(text: string, root: string, jobName: string, location: string | null): unknown {
  try {
    return deserializeInert(text);
  } catch (e) {
    if (e instanceof PayloadError) throw new CheckpointCorruptError(jobName, location, `${root}: ${e.message}`, { cause: e });
    throw e;
  }
}
