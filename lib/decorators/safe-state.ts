import { badCallMessage, isContext, methodOwner, ownerName } from './decorator-support';
import { dualDecoratorCall } from './dual-decorator';
import type { SafeStateOptions } from '../engine/options';
import { validateOptions } from '../engine/options';
import type { JobDefinition } from '../engine/job-definition';
import { runJob } from '../engine/run-job';
import { definitionModule, underivableName, NO_MODULE, type DefinitionModule } from '../engine/job-name';
import { InvalidOptionsError } from '../errors/invalid-options-error';
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
 * What `@SafeState(options)` returns: a method decorator for both decorator proposals, the standard
 * (TC39 stage-3) one and the legacy one (`experimentalDecorators: true`, as in NestJS and TypeORM
 * projects); which one is told at run time.
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
export interface MethodDecorator<This, Args extends unknown[], R> {
  /** The legacy form (`experimentalDecorators`): the prototype (or class), the method's name and its descriptor. */
  (target: { [K in keyof This]: This[K] } | object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<AsyncMethod<This, Args, R>>): TypedPropertyDescriptor<AsyncMethod<This, Args, R>>;
  /** The standard (TC39 stage-3) form: the method and its context. */
  (target: AsyncMethod<This, Args, R>, context: ClassMethodDecoratorContext<This, AsyncMethod<This, Args, R>>): AsyncMethod<This, Args, R>;
}

const BAD_CALL = badCallMessage('@SafeState', 'safeState');

function decorate<This, Args extends unknown[], R>(
  target: AsyncMethod<This, Args, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, Args, R>>,
  options: SafeStateOptions,
  module: DefinitionModule,
): AsyncMethod<This, Args, R> {
  if (!isContext(context)) throw new TypeError(BAD_CALL);
  if (context.kind !== 'method') {
    throw new TypeError(`@SafeState decorates methods only; it was applied to ${context.kind} '${String(context.name)}'`);
  }
  if (typeof target !== 'function') throw new TypeError(`@SafeState: '${String(context.name)}' is not a function`);
  const method = context.name;
  if (module.reason !== null) throw new InvalidOptionsError('name', underivableName(`the @SafeState method '${String(method)}'`, module.reason));
  const def: JobDefinition = {
    options,
    module,
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
 * Use it bare, with options, or with a job name. It works with both decorator proposals: the
 * standard (TC39 stage-3) one, and the legacy one of projects with `experimentalDecorators: true`
 * (NestJS, TypeORM), with the same job names and checkpoints (a job started under one resumes
 * under the other).
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
 * @param options - {@link SafeStateOptions}, or the job name
 */
export function SafeState<This = unknown, Args extends unknown[] = any[], R = unknown>(options?: SafeStateOptions<This> | string): MethodDecorator<This, Args, R>;
/**
 * Bare `@SafeState` (the standard decorator form).
 * @param target - the decorated method
 * @param context - the decorator context
 */
export function SafeState<This, Args extends unknown[], R>(
  target: AsyncMethod<This, Args, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, Args, R>>,
): AsyncMethod<This, Args, R>;
/**
 * Bare `@SafeState` under `experimentalDecorators: true` (the legacy decorator form).
 * @param target - the class prototype (or the class, for a static method)
 * @param propertyKey - the method's name
 * @param descriptor - the method's property descriptor
 */
export function SafeState<T extends AsyncMethod<any, any[], any>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>;
export function SafeState(...args: unknown[]): unknown {
  return dualDecoratorCall<SafeStateOptions>(args, {
    decorate: (value, context, options, module) => decorate(value as AsyncMethod<unknown, unknown[], unknown>, context, options, module),
    bareOptions: {},
    bareSingle: (a) => typeof a === 'function',
    options: (a) => (typeof a === 'string' ? validateOptions({ name: a }) : validateOptions(a)),
    // the defining module only derives a default name
    needsModule: (options) => options.name === undefined,
    badCall: BAD_CALL,
  }, namedCall(args) ? NO_MODULE : definitionModule(SafeState));
}

/**
 * Whether the decorator was called with a job name (`@SafeState('name')`, `@SafeState({ name })`):
 * then no default name is derived, and the defining module (a walk of the stack and a read of the
 * module's source map, about 1.3 ms the first time) is not looked up.
 */
function namedCall(args: readonly unknown[]): boolean {
  const [a] = args;
  return args.length === 1 && (typeof a === 'string' || (typeof a === 'object' && a !== null && (a as { name?: unknown }).name !== undefined));
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
