import type { JobDefinition } from './job-definition';
import { resolveBackend, resolveJobName } from './job-definition';
import { loadCheckpoint } from './load-checkpoint';
import { Checkpoint } from './checkpoint';
import { currentHolder } from '../backends/lock';
import { asBackendError } from './backend-call';
import { keyringFor } from '../state/keyring';
import { deleteCompanions } from './companions';
import { clearShared, peekShared } from './shared-handle';
import { withDefaults } from '../config/job-defaults';

/**
 * Inspects and clears one job's checkpoint, without running it. Returned by `SafeState.of()`; the
 * function returned by `safeState()` carries the same members.
 *
 * @example
 * ```ts
 * const h = SafeState.of(new WelcomeEmails(mailer), 'run');
 * console.log(h.jobName, h.checkpointPath, (await h.peekCheckpoint())?.progress());
 * await h.clearCheckpoint();
 * ```
 */
export interface JobHandle {
  /** The job's name. */
  readonly jobName: string;
  /** The checkpoint file's path for file backends, `null` for others. */
  readonly checkpointPath: string | null;
  /** Reads the checkpoint (never opening connections for saved live objects), or `null` when there is none. */
  peekCheckpoint(): Promise<Checkpoint | null>;
  /** Deletes the checkpoint (and the job's `@Idempotent` records); fails with `JobLockedError` while the job runs. */
  clearCheckpoint(): Promise<void>;
}

/** @internal */
export function makeHandle(def: JobDefinition, thisArg: unknown): JobHandle {
  const jobName = () => resolveJobName(def, thisArg);
  const withBackend = async <T>(fn: (b: ReturnType<typeof resolveBackend>['backend'], name: string) => Promise<T>): Promise<T> => {
    const name = jobName();
    const { backend, owned } = resolveBackend(def.options);
    try {
      return await fn(backend, name);
    } finally {
      if (owned) await backend.close();
    }
  };
  return {
    get jobName() {
      return jobName();
    },
    get checkpointPath() {
      return resolveBackend(def.options).backend.location(jobName());
    },
    peekCheckpoint: () =>
      withBackend(async (backend, name) => {
        if (def.options.workers === 'shared') return peekShared(backend, name);
        const doc = await loadCheckpoint(backend, name, keyringFor(withDefaults(def.options)));
        return doc ? new Checkpoint(doc, backend.location(name)) : null;
      }),
    clearCheckpoint: () =>
      withBackend(async (backend, name) => {
        if (def.options.workers === 'shared') return clearShared(backend, name);
        const lock = await backend.lock(name, currentHolder());
        try {
          await backend.delete(name);
          await deleteCompanions(backend, name);
        } catch (e) {
          throw asBackendError(e, `cannot clear the checkpoint of job '${name}'`);
        } finally {
          await lock.release();
        }
      }),
  };
}
