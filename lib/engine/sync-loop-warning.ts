import type { StateBackend } from '../backends/state-backend';
import type { NoChannel } from '../backends/blocking/blocking-channel';
import { emitEngineWarning } from './logger';
import { globalRegistry } from '../util/global-registry';

/** Warning code of a plain `for..of` over a backend whose saves it cannot wait for. */
export const ASYNC_SAVE_IN_FOR_OF = 'SAFE_STATE_ASYNC_SAVE_IN_FOR_OF';

/**
 * Warns once per backend class and reason that a plain `for..of` cannot wait for this backend's
 * saves (they run in the background: a kill may repeat the items completed since the last finished
 * save), naming the fix.
 * @internal
 */
export function warnAsyncSaveInForOf(backend: StateBackend, jobName: string, why: NoChannel): void {
  const cls = backend.constructor?.name || 'StateBackend';
  const once = `${ASYNC_SAVE_IN_FOR_OF}\0${cls}\0${why}`;
  const warned = globalRegistry().warned;
  if (warned.has(once)) return;
  warned.add(once);
  const reason =
    why === 'no-hook'
      ? `${cls}.save returns a promise and a plain for..of step cannot await it`
      : why === 'not-describable'
        ? `the connection of this ${cls} cannot be reopened in a worker thread (its options are not plain data), so a plain for..of step cannot wait for its saves`
        : `safe-state's save worker (blocking-worker.js, beside safe-state's index.js) ${why === 'no-worker-file' ? 'was not found: an application bundle may have left it out' : 'could not be started'}, so a plain for..of step cannot wait for the saves of ${cls}`;
  const fix = why === 'no-hook' ? 'use `for await (const x of items)`, or give the backend synchronous saveSync/appendSync hooks' : why === 'no-worker-file' ? 'use `for await (const x of items)`, or ship blocking-worker.js beside the bundle' : 'use `for await (const x of items)`';
  emitEngineWarning(
    `job '${jobName}': ${reason}; its saves run in the background, and a crash may repeat the items completed since the last finished save. To store each item before the next one starts, ${fix}.`,
    ASYNC_SAVE_IN_FOR_OF,
  );
}
