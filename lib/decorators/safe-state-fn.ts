import type { SafeStateOptions } from '../engine/options';
import { validateOptions } from '../engine/options';
import type { JobDefinition } from '../engine/job-definition';
import { runJob } from '../engine/run-job';
import { definitionModule, underivableName, NO_MODULE } from '../engine/job-name';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { makeHandle, type JobHandle } from '../engine/job-handle';

/**
 * The plain-function form of {@link SafeState}: returns a resumable version of `fn` that also
 * carries the job's handle (`jobName`, `checkpointPath`, `peekCheckpoint()`, `clearCheckpoint()`).
 *
 * @example
 * ```ts
 * const sendAll = safeState(async (users: User[]) => {
 *   for (const u of users) await mailer.send(u.email, 'Welcome!');
 * }, { name: 'welcome-emails' });
 * await sendAll(users);
 * console.log(await sendAll.peekCheckpoint()); // null after success
 * ```
 * @typeParam F - the wrapped function's type (kept by the wrapper)
 * @param fn - an async function
 * @param options - {@link SafeStateOptions}, or the job name
 */
export function safeState<F extends (...args: any[]) => Promise<any>>(fn: F, options?: SafeStateOptions | string): F & JobHandle {
  if (typeof fn !== 'function') throw new TypeError(`safeState(fn, options): fn must be a function (got ${typeof fn})`);
  const opts = typeof options === 'string' ? validateOptions({ name: options }) : validateOptions(options);
  let module = NO_MODULE; // the defining module only derives a default name
  if (opts.name === undefined) {
    if (!fn.name) throw new InvalidOptionsError('name', "safeState(fn, options) name: fn has no name to derive a default job name from; pass the 'name' option");
    module = definitionModule(safeState);
    if (module.reason !== null) throw new InvalidOptionsError('name', underivableName(`safeState(${fn.name})`, module.reason));
  }
  const def: JobDefinition = { options: opts, module, baseName: () => fn.name || null };
  const wrapper = function (this: unknown, ...args: unknown[]) {
    return runJob(def, this, args, fn);
  } as unknown as F & JobHandle;
  const handle = makeHandle(def, undefined);
  Object.defineProperties(wrapper, {
    name: { value: fn.name, configurable: true },
    jobName: { get: () => handle.jobName, enumerable: true },
    checkpointPath: { get: () => handle.checkpointPath, enumerable: true },
    peekCheckpoint: { value: handle.peekCheckpoint, enumerable: true },
    clearCheckpoint: { value: handle.clearCheckpoint, enumerable: true },
  });
  return wrapper;
}
