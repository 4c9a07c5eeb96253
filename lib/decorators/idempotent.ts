import { badCallMessage, isContext, methodOwner, ownerName } from './decorator-support';
import { isClassConstructor } from './legacy-call';
import { dualDecoratorCall } from './dual-decorator';
import './metadata'; // Symbol.metadata on Node 20
import { defineReflectedMetadata } from './reflect-metadata';
import type { AsyncMethod, MethodDecorator } from './safe-state';
import { definitionModule, underivableName, type DefinitionModule } from '../engine/job-name';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { validateIdempotentOptions, type IdempotentCheck, type IdempotentDefinition, type IdempotentOptions } from '../idempotency/idempotent-options';
import { callIdempotent } from '../idempotency/call-idempotent';

/**
 * The metadata key under which `@Idempotent` methods are described (see {@link IdempotentMetadata}).
 * Through reflect-metadata only when the application loaded it before the class is instantiated
 * (safe-state does not load it itself).
 * @example
 * ```ts
 * const described = Reflect.hasMetadata(IDEMPOTENT_METADATA_KEY, Mailer.prototype, 'send');
 * ```
 */
export const IDEMPOTENT_METADATA_KEY = 'safe-state:idempotent';

/**
 * What frameworks can discover about an `@Idempotent` method, through reflect-metadata
 * (`Reflect.getMetadata('safe-state:idempotent', Class.prototype, 'method')`) or the standard
 * decorator metadata (`Class[Symbol.metadata]['safe-state:idempotent'][method]`, inherited by
 * subclasses).
 *
 * @example
 * ```ts
 * const meta: IdempotentMetadata | undefined = Reflect.getMetadata('safe-state:idempotent', Mailer.prototype, 'send');
 * ```
 */
export interface IdempotentMetadata {
  /** The decorated method's name. */
  method: string | symbol;
  /** The options given to the decorator (validated; `{}` when bare). */
  options: Readonly<IdempotentOptions>;
}

/**
 * `T`, but not a place for TypeScript to infer `T` from. In `@Idempotent(options)` the decorated
 * method decides `This`, `Args` and `R`, and the options are checked against (and typed by) it:
 * `key: (user) => user.id` needs no annotation. Unlike the built-in `NoInfer<T>`, it keeps a key or
 * check that takes fewer parameters than the method assignable.
 * @typeParam T - the type
 * @example
 * ```ts
 * type Args = InferredFromMethod<[user: User, subject: string]>; // [user: User, subject: string]
 * ```
 */
export type InferredFromMethod<T> = [T][T extends any ? 0 : never];

const BAD_CALL = badCallMessage('@Idempotent', 'idempotent');

/** `metadata['safe-state:idempotent'][method]`, in an object of this class's own that inherits its parent's. */
function defineStandardMetadata(metadata: DecoratorMetadataObject | undefined, method: string | symbol, meta: IdempotentMetadata): void {
  if (!metadata) return;
  const m = metadata as Record<string, Record<string | symbol, IdempotentMetadata> | undefined>;
  if (!Object.prototype.hasOwnProperty.call(m, IDEMPOTENT_METADATA_KEY)) {
    m[IDEMPOTENT_METADATA_KEY] = Object.create(m[IDEMPOTENT_METADATA_KEY] ?? null) as Record<string | symbol, IdempotentMetadata>;
  }
  m[IDEMPOTENT_METADATA_KEY]![method] = meta;
}

function decorate<This, Args extends unknown[], R>(
  target: AsyncMethod<This, Args, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, Args, R>>,
  options: IdempotentOptions,
  module: DefinitionModule,
): AsyncMethod<This, Args, R> {
  if (!isContext(context)) throw new TypeError(BAD_CALL);
  if (context.kind !== 'method') {
    throw new TypeError(`@Idempotent decorates methods only; it was applied to ${context.kind} '${String(context.name)}'`);
  }
  if (typeof target !== 'function') throw new TypeError(`@Idempotent: '${String(context.name)}' is not a function`);
  const method = context.name;
  const recorded = options.key !== undefined || options.check === undefined;
  if (recorded && options.name === undefined && module.reason !== null) {
    throw new InvalidOptionsError('name', underivableName(`the records of the @Idempotent method '${String(method)}'`, module.reason));
  }
  const def: IdempotentDefinition = {
    options,
    recorded,
    module,
    baseName: (thisArg) => {
      const cls = ownerName(thisArg, method, wrapper, context.static);
      return cls ? `${cls}.${String(method)}` : null;
    },
  };
  const wrapper = function (this: This, ...args: Args): Promise<R> {
    return callIdempotent(def, this, args, target as (...a: unknown[]) => unknown) as Promise<R>;
  };
  Object.defineProperty(wrapper, 'name', { value: typeof method === 'string' ? method : target.name, configurable: true });
  const reflected: IdempotentMetadata = { method, options: Object.freeze({ ...options }) };
  defineStandardMetadata(context.metadata, method, reflected);
  context.addInitializer(function (this: This) {
    const o = methodOwner(this, method, wrapper);
    if (o) defineReflectedMetadata(IDEMPOTENT_METADATA_KEY, o, method, reflected);
  });
  return wrapper;
}

/**
 * Bare `@Idempotent` under `experimentalDecorators: true` (the legacy decorator form).
 * @param target - the class prototype (or the class, for a static method)
 * @param propertyKey - the method's name
 * @param descriptor - the method's property descriptor
 */
export function Idempotent<T extends AsyncMethod<any, any[], any>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>;
/**
 * Makes an async method's side effect safe to repeat after a crash or in a later run.
 * Used bare or with options or a check function, with either decorator proposal: the standard
 * (TC39 stage-3) one, or the legacy one of projects with `experimentalDecorators: true` (NestJS,
 * TypeORM), with the same record scopes under both:
 *
 * - `@Idempotent(check)` / `@Idempotent({ check })`: `check(...args)` (sync or async) runs first;
 *   a truthy answer skips the method and is returned as its result. Nothing is recorded.
 * - `@Idempotent({ key: (...args) => string })`: the method runs once per key (scope: the class
 *   that defines the method + the method + the key, or the `name` option), across crashes and
 *   processes; its result is serialized like job state, recorded, and replayed on later calls.
 *   A thrown error is not recorded (the next call runs again). A second call of a key that is
 *   running waits for it, then replays its result. Inside a `@SafeState` job the records live with
 *   the job's checkpoint and are removed with it; with `cache` in that {@link IdempotencyCache};
 *   otherwise in the default cache (`.safe_state`). `ttlMs` makes records expire.
 * - Bare `@Idempotent` (or no `check` and no `key`): recorded, keyed by the serialized arguments.
 *
 * Delivery is at-least-once: a crash after the method's effect and before its record is written
 * runs the method again on the next call (see docs/idempotency.md).
 *
 * @example
 * ```ts
 * class Mailer {
 *   @Idempotent({ key: (user: User) => `welcome:${user.id}` })
 *   async sendWelcome(user: User): Promise<string> {
 *     return (await smtp.send(user.email, 'Welcome!')).messageId;
 *   }
 *
 *   @Idempotent((url: string, out: string) => skipIfExists(out))
 *   async download(url: string, out: string): Promise<void> { ... }
 * }
 * ```
 * @param target - the decorated method (bare use)
 * @param context - the decorator context (bare use)
 */
export function Idempotent<This, Args extends unknown[], R>(
  target: AsyncMethod<This, Args, R>,
  context: ClassMethodDecoratorContext<This, AsyncMethod<This, Args, R>>,
): AsyncMethod<This, Args, R>;
/**
 * `@Idempotent(options)` or `@Idempotent(check)`.
 * @param options - {@link IdempotentOptions}, or a check function
 */
export function Idempotent<This = any, Args extends unknown[] = any[], R = any>(
  options?:
    | IdempotentOptions<InferredFromMethod<This>, InferredFromMethod<Args>, InferredFromMethod<R>>
    | IdempotentCheck<InferredFromMethod<This>, InferredFromMethod<Args>, InferredFromMethod<R>>,
): MethodDecorator<This, Args, R>;
export function Idempotent(...args: unknown[]): unknown {
  return dualDecoratorCall<IdempotentDefinition['options']>(args, {
    decorate: (value, context, options, module) => decorate(value as AsyncMethod<unknown, unknown[], unknown>, context, options, module),
    bareOptions: {},
    // a single function is a check, unless it is a class (bare @Idempotent on a class, legacy form)
    bareSingle: isClassConstructor,
    options: validateIdempotentOptions,
    // the defining module scopes records without a name
    needsModule: (options) => options.name === undefined && (options.key !== undefined || options.check === undefined),
    badCall: BAD_CALL,
  }, definitionModule(Idempotent));
}
