import type { StateBackend } from '../backends/state-backend';
import type { NoChannel } from '../backends/blocking/blocking-channel';
import { emitEngineWarning } from './logger';
import { globalRegistry } from '../util/global-registry';
import { InvalidOptionsError } from '../errors/invalid-options-error';

/** Warning code of a plain `for..of` over a backend whose saves it cannot wait for. */
export const ASYNC_SAVE_IN_FOR_OF = 'SAFE_STATE_ASYNC_SAVE_IN_FOR_OF';

/** What a plain `for..of` over a backend whose saves it cannot wait for does: the `syncLoop` option. @internal */
export type SyncLoopPolicy = 'warn' | 'refuse';

/** Why a plain `for..of` cannot wait for this backend's saves, and what to do instead. */
function explain(backend: StateBackend, why: NoChannel): { cls: string; reason: string; fix: string } {
  const cls = backend.constructor?.name || 'StateBackend';
  const reason =
    why === 'no-hook'
      ? `${cls}.save returns a promise and a plain for..of step cannot await it`
      : why === 'not-describable'
        ? `the connection of this ${cls} cannot be reopened in a worker thread (its options are not plain data), so a plain for..of step cannot wait for its saves`
        : `safe-state's save worker (blocking-worker.js, beside safe-state's index.js) ${why === 'no-worker-file' ? 'was not found: an application bundle may have left it out' : 'could not be started'}, so a plain for..of step cannot wait for the saves of ${cls}`;
  const fix = why === 'no-hook' ? 'use `for await (const x of items)`, or give the backend synchronous saveSync/appendSync hooks' : why === 'no-worker-file' ? 'use `for await (const x of items)`, or ship blocking-worker.js beside the bundle' : 'use `for await (const x of items)`';
  return { cls, reason, fix };
}

/**
 * A plain `for..of` takes its first step over a backend whose saves it cannot wait for: with
 * `syncLoop: 'refuse'`, throws {@link InvalidOptionsError} (option `syncLoop`) naming the fix,
 * before the first item is handed out; else warns once per backend class and reason (the saves
 * then run in the background: a kill may repeat the items completed since the last finished save).
 * @internal
 */
export function onAsyncSaveInForOf(backend: StateBackend, jobName: string, why: NoChannel, policy: SyncLoopPolicy): void {
  const { cls, reason, fix } = explain(backend, why);
  if (policy === 'refuse') {
    throw new InvalidOptionsError(
      'syncLoop',
      `job '${jobName}': ${reason}, and syncLoop is 'refuse'. ${fix[0]!.toUpperCase()}${fix.slice(1)} (each item is then stored before the next one starts), or set syncLoop: 'warn' to let the saves run in the background.`,
    );
  }
  const once = `${ASYNC_SAVE_IN_FOR_OF}\0${cls}\0${why}`;
  const warned = globalRegistry().warned;
  if (warned.has(once)) return;
  warned.add(once);
  emitEngineWarning(
    `job '${jobName}': ${reason}; its saves run in the background, and a crash may repeat the items completed since the last finished save. To store each item before the next one starts, ${fix} (or set syncLoop: 'refuse' to make this an error).`,
    ASYNC_SAVE_IN_FOR_OF,
  );
}
