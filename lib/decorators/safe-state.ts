import { isContext, legacyMessage, methodOwner, ownerName } from './decorator-support';
import type { SafeStateOptions } from '../engine/options';
import { validateOptions } from '../engine/options';
import type { JobDefinition } from '../engine/job-definition';
import { runJob } from '../engine/run-job';
import { callerFile } from '../engine/job-name';
import { makeHandle, type JobHandle } from '../engine/job-handle';
import { defineJob, defineReflectMetadata, findJob } from './metadata';

/**
 * An async method that `@SafeState` can decorate.
 *
 * @example
 * ```ts
 * const run: AsyncMethod<WelcomeEmails, [User[]], void> = WelcomeEmails.prototype.run;
 * ```
 * @typeParam This - the class instance
 * @typeParam Args - the method's parameters
 * @typeParam R - what the method's promise resolves to
 */
export type AsyncMethod<This, Args extends unknown[], R> = (this: This, ...args: Args) => Promise<R>;
/**
 * What `@SafeState(options)` returns: a standard method decorator.
 *
 * @example
 * ```ts
 * // a decorator of your own that applies the team's defaults
 * const Resumable = (name: string): MethodDecorator<any, any[], any> => SafeState({ name, saveEvery: 10, verbose: true });
 * class Nightly { @Resumable('nightly') async run(rows: Row[]) { ... } }
 * ```
 * @typeParam This - the class instance
 * @typeParam Args - the method's parameters
 * @typeParam R - what the method's promise resolves to
 */
export type MethodDecorator<This, Args extends unknown[], R> = (
  target: AsyncMethod<This, Args, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, Args, R>>,
) => AsyncMethod<This, Args, R>;

const LEGACY = legacyMessage('@SafeState', 'safeState');

function decorate<This, Args extends unknown[], R>(
  target: AsyncMethod<This, Args, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, Args, R>>,
  options: SafeStateOptions,
  file: string | null,
): AsyncMethod<This, Args, R> {
  if (!isContext(context)) throw new TypeError(LEGACY);
  if (context.kind !== 'method') {
    throw new TypeError(`@SafeState decorates methods only; it was applied to ${context.kind} '${String(context.name)}'`);
  }
  if (typeof target !== 'function') throw new TypeError(`@SafeState: '${String(context.name)}' is not a function`);
  const method = context.name;
  const def: JobDefinition = {
    options,
    file,
    baseName: (thisArg) => {
      const cls = ownerName(thisArg, method, wrapper, context.static);
      return cls ? `${cls}.${String(method)}` : null;
    },
  };
  const wrapper = function (this: This, ...args: Args): Promise<R> {
    return runJob(def, this, args, target as (...a: unknown[]) => unknown) as Promise<R>;
  };
  Object.defineProperty(wrapper, 'name', { value: typeof method === 'string' ? method : target.name, configurable: true });
  defineJob(context.metadata, method, def);
  const reflected = { method, options: Object.freeze({ ...options }) };
  context.addInitializer(function (this: This) {
    const o = methodOwner(this, method, wrapper); // the prototype (or class, for static methods)
    if (o) defineReflectMetadata(o, method, reflected);
  });
  return wrapper;
}

/**
 * Makes an async method resumable: the iterable argument (`iterableArg`, default the first) is
 * tracked, completed items are recorded in a checkpoint, and a rerun after a crash skips them.
 * A standard (TC39 stage-3) decorator: use it bare, with options, or with a job name.
 *
 * @example
 * ```ts
 * class WelcomeEmails {
 *   constructor(private mailer: Mailer) {}
 *   @SafeState({ name: 'welcome-emails', saveEvery: 10 })
 *   async run(users: User[]) {
 *     for (const user of users) await this.mailer.send(user.email, 'Welcome!');
 *   }
 * }
 * ```
 * @param target - the decorated method (bare use)
 * @param context - the decorator context (bare use)
 */
export function SafeState<This, Args extends unknown[], R>(
  target: AsyncMethod<This, Args, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, Args, R>>,
): AsyncMethod<This, Args, R>;
/**
 * `@SafeState(options)` or `@SafeState('job-name')`.
 * @param options - {@link SafeStateOptions}, or the job name
 */
export function SafeState<This = unknown, Args extends unknown[] = any[], R = unknown>(options?: SafeStateOptions<This> | string): MethodDecorator<This, Args, R>;
export function SafeState(a?: unknown, b?: unknown, c?: unknown): unknown {
  if (c !== undefined || (b !== undefined && !isContext(b))) throw new TypeError(LEGACY);
  if (typeof a === 'function' && isContext(b)) {
    return decorate(a as AsyncMethod<unknown, unknown[], unknown>, b as ClassMethodDecoratorContext, {}, callerFile());
  }
  const options = typeof a === 'string' ? validateOptions({ name: a }) : validateOptions(a);
  const file = options.name === undefined ? callerFile() : null; // the module path only derives a default name
  return (target: AsyncMethod<unknown, unknown[], unknown>, context: ClassMethodDecoratorContext, legacy?: unknown) => {
    if (legacy !== undefined || !isContext(context)) throw new TypeError(LEGACY);
    return decorate(target, context, options, file);
  };
}

/**
 * Members of {@link SafeState} beyond the decorator.
 *
 * @example
 * ```ts
 * const handle = SafeState.of(new WelcomeEmails(mailer), 'run');
 * console.log(handle.jobName, (await handle.peekCheckpoint())?.progress());
 * ```
 */
export namespace SafeState {
  /**
   * The handle of a decorated method's job for one instance: name, checkpoint path, peek, clear.
   * Throws `TypeError` when the method is not decorated with `@SafeState`.
   * @param instance - an instance of the class (or the class, for a static method)
   * @param method - the decorated method's name
   * @example
   * ```ts
   * const cp = await SafeState.of(job, 'run').peekCheckpoint();
   * ```
   */
  export function of<T extends object>(instance: T, method: keyof T & (string | symbol)): JobHandle {
    const def = instance ? findJob(instance, method) : undefined;
    if (!def) throw new TypeError(`${String(method)} is not a @SafeState method of ${instance?.constructor?.name ?? String(instance)}`);
    return makeHandle(def, instance);
  }
}
