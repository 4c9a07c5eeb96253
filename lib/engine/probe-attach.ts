import type { JobRun } from './job-run';
import type { Keyring } from '../state/keyring';
import { probeScope } from './item-probe';
import { jobContext } from './job-context';
import { loadCheckpoint } from './load-checkpoint';
import { Checkpoint } from './checkpoint';

/**
 * Inside the test kit's scope, gives a top-level run (not one nested in another job) the kit's
 * probe; elsewhere does nothing (one AsyncLocalStorage read per run, nothing per item).
 * @internal
 */
export function attachProbe(run: JobRun, resuming: boolean, keyring: Keyring | null): void {
  const host = probeScope.getStore();
  if (host === undefined || jobContext.getStore() !== undefined) return;
  run.probe = host.attach({
    name: run.name,
    resuming,
    keyed: run.keyFn !== undefined,
    peek: async () => {
      const doc = await loadCheckpoint(run.backend, run.name, keyring);
      return doc ? new Checkpoint(doc, run.backend.location(run.name)) : null;
    },
  });
}
