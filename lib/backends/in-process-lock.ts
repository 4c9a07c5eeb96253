import type { BackendLock, LockHolder } from './lock';
import { JobLockedError } from '../errors/job-locked-error';
import { globalRegistry } from '../util/global-registry';

/**
 * The default lock of {@link StateBackend}: it only excludes runs inside this process (across every
 * loaded copy of safe-state). Backends shared between processes override `lock()`.
 */
export function inProcessLock(scope: object, jobName: string, holder: LockHolder): BackendLock {
  const held = globalRegistry().inProcessLocks;
  let perScope = held.get(scope);
  if (!perScope) held.set(scope, (perScope = new Map()));
  const existing = perScope.get(jobName);
  if (existing) throw new JobLockedError(jobName, existing);
  perScope.set(jobName, holder);
  let released = false;
  const releaseSync = () => {
    if (released) return;
    released = true;
    perScope!.delete(jobName);
  };
  return { releaseSync, release: async () => releaseSync() };
}
