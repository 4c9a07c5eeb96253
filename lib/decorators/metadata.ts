import type { JobDefinition } from '../engine/job-definition';
import { globalRegistry } from '../util/global-registry';
import type { SafeStateOptions } from '../engine/options';
import { defineReflectedMetadata } from './reflect-metadata';

// Node 20 has no Symbol.metadata: without it TypeScript passes `metadata: undefined` to decorators.
// esbuild/tsx fall back to Symbol.for('Symbol.metadata'); using the same key keeps both in agreement.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

/**
 * The reflect-metadata key under which decorated jobs are described (class prototype + method name).
 * safe-state does not load reflect-metadata itself: when the application has loaded it (frameworks
 * that read metadata do, at their start) before a job class is instantiated, every `@SafeState`
 * method of that class is described there.
 *
 * @example
 * ```ts
 * import 'reflect-metadata';
 * const meta = Reflect.getMetadata(JOB_METADATA_KEY, WelcomeEmails.prototype, 'run') as JobMetadata | undefined;
 * console.log(meta?.options.name);
 * ```
 */
export const JOB_METADATA_KEY = 'safe-state:job';

/**
 * What frameworks can discover about a `@SafeState` method through reflect-metadata:
 * `Reflect.getMetadata('safe-state:job', Class.prototype, 'method')`.
 *
 * @example
 * ```ts
 * const meta: JobMetadata | undefined = Reflect.getMetadata('safe-state:job', Job.prototype, 'run');
 * ```
 */
export interface JobMetadata {
  /** The decorated method's name. */
  method: string | symbol;
  /** The options given to the decorator (validated). */
  options: Readonly<SafeStateOptions>;
}

// Keyed by the class's decorator metadata object (as Lit does); on the global registry so that a
// class decorated by one loaded copy of safe-state is found by another's SafeState.of().
const jobs = (globalRegistry().jobDefinitions ??= new WeakMap()) as WeakMap<object, Map<string | symbol, JobDefinition>>;

/** @internal */
export function defineJob(metadata: DecoratorMetadataObject | undefined, method: string | symbol, def: JobDefinition): void {
  if (!metadata) return;
  let map = jobs.get(metadata);
  if (!map) jobs.set(metadata, (map = new Map()));
  map.set(method, def);
}

/**
 * A class's own decorator metadata object (`Class[Symbol.metadata]`), made as the standard form
 * makes it (inheriting from the parent class's) when the class has none: the legacy decorator form
 * (`experimentalDecorators`) gets no metadata object from the compiler, and records jobs and
 * `@Idempotent` methods in this one, so that both forms are found the same way.
 * @param cls - the class
 * @internal
 */
export function classMetadata(cls: object): DecoratorMetadataObject {
  const key = Symbol.metadata!;
  if (Object.prototype.hasOwnProperty.call(cls, key)) {
    const own = (cls as Record<symbol, unknown>)[key];
    if (typeof own === 'object' && own !== null) return own as DecoratorMetadataObject;
  }
  const parent = Object.getPrototypeOf(cls) as Record<symbol, unknown> | null;
  const inherited = parent?.[key];
  const meta = Object.create(typeof inherited === 'object' && inherited !== null ? inherited : null) as DecoratorMetadataObject;
  Object.defineProperty(cls, key, { value: meta, enumerable: true, configurable: true, writable: true });
  return meta;
}

/**
 * The job definition of a decorated method of an instance's class (or a base class).
 * @internal
 */
export function findJob(instance: object, method: string | symbol): JobDefinition | undefined {
  const ctor = typeof instance === 'function' ? instance : (instance as { constructor?: unknown }).constructor;
  let meta = ctor ? (ctor as Record<symbol, object | undefined>)[Symbol.metadata!] : undefined;
  for (; meta; meta = Object.getPrototypeOf(meta) as object | undefined) {
    const def = jobs.get(meta)?.get(method);
    if (def) return def;
  }
  return undefined;
}

/** Describes a job method through reflect-metadata, when the application loaded it. @internal */
export function defineReflectMetadata(target: object, method: string | symbol, meta: JobMetadata): void {
  defineReflectedMetadata(JOB_METADATA_KEY, target, method, meta);
}
