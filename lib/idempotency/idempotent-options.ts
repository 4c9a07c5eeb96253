import type { DefinitionModule } from '../engine/job-name';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { IdempotencyCache } from './idempotency-cache';

/**
 * Values that count as "not done" when a `check` returns them.
 * @example
 * ```ts
 * const notYet: Falsy = null;
 * ```
 */
export type Falsy = false | 0 | 0n | '' | null | undefined;

/**
 * A `check` of {@link Idempotent}: called with the call's arguments (and `this`) before the method;
 * a truthy answer (or a promise of one) is returned instead of running the method. It may answer
 * a value of the method's result type, or `true` (as {@link skipIfExists} does) for methods whose
 * result does not matter.
 * @typeParam This - the class instance
 * @typeParam Args - the method's parameters
 * @typeParam R - what the method's promise resolves to
 * @example
 * ```ts
 * const check: IdempotentCheck<unknown, [string, string], void> = (url, out) => skipIfExists(out);
 * ```
 */
export type IdempotentCheck<This = any, Args extends unknown[] = any[], R = any> = (
  this: This,
  ...args: Args
) => R | Falsy | boolean | Promise<R | Falsy | boolean>;

/**
 * Options of {@link Idempotent} and {@link idempotent}. Every option is optional.
 *
 * - With `check` only: the check decides, nothing is recorded.
 * - With `key` (and optionally `check`, which runs first): the call is recorded under its key.
 * - With neither: the call is recorded under a key made of its arguments.
 *
 * @typeParam This - the class instance (`this` of `check` and `key`)
 * @typeParam Args - the method's parameters
 * @typeParam R - what the method's promise resolves to
 * @example
 * ```ts
 * const options: IdempotentOptions<Billing, [orderId: string, cents: number], string> = {
 *   key: (orderId) => orderId,
 *   ttlMs: 7 * 24 * 3600_000,
 *   cache: new IdempotencyCache({ name: 'charges' }),
 * };
 * ```
 */
export interface IdempotentOptions<This = any, Args extends unknown[] = any[], R = any> {
  /**
   * Runs first, with the call's arguments (and `this`); a truthy result (or a promise of one)
   * skips the method and is returned as its result; a falsy one runs the method.
   */
  check?: IdempotentCheck<This, Args, R>;
  /**
   * The call's identity: the method runs once per key (within the class + method, or `name`),
   * across crashes and processes; its result is recorded and replayed on later calls.
   * A number is turned into its decimal string.
   */
  key?: (this: This, ...args: Args) => string | number;
  /** Recorded results expire this many ms after they were recorded. Default: the cache's `ttlMs`, else never. */
  ttlMs?: number;
  /**
   * Where results are recorded. Default: inside a job, with the job's checkpoint (in its backend,
   * removed when the checkpoint is cleared); outside a job, the default cache
   * (`new IdempotencyCache()`: name `'default'`, FileBackend in `.safe_state`).
   */
  cache?: IdempotencyCache;
  /**
   * Scope of the recorded keys, instead of the default `Class.method` (the class that defines the
   * method; for `idempotent(fn)`, the function's name) plus a short hash of the module's path, as
   * for job names. Set it to keep records when the class, method or module is renamed or moved.
   */
  name?: string;
}

const KNOWN = new Set(['check', 'key', 'ttlMs', 'cache', 'name']);

function fail(option: string, message: string): never {
  throw new InvalidOptionsError(option, `@Idempotent ${option}: ${message}`);
}

/** The validated options of one decorated method or wrapped function. @internal */
export interface IdempotentDefinition {
  options: IdempotentOptions;
  /** whether calls are recorded (key given, or no check) */
  recorded: boolean;
  /** `Class.method` or the function's name, for a this-value */
  baseName(thisArg: unknown): string | null;
  /** the module that applied the decorator or called idempotent() (scopes records without `name`) */
  module: DefinitionModule;
  /** cache of the derived scope */
  scope?: string;
}

/**
 * Validates options at decoration time; throws {@link InvalidOptionsError} naming the option.
 * A function stands for `{ check }`.
 * @internal
 */
export function validateIdempotentOptions(options: unknown): IdempotentOptions {
  if (options === undefined || options === null) return {};
  if (typeof options === 'function') return { check: options as IdempotentOptions['check'] };
  if (typeof options !== 'object' || Array.isArray(options)) throw new InvalidOptionsError('options', `@Idempotent options must be an object or a check function (got ${typeof options})`);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) fail(k, `unknown option (known: ${[...KNOWN].join(', ')})`);
  if (o.check !== undefined && typeof o.check !== 'function') fail('check', `must be a function (...args) => result | falsy (got ${typeof o.check})`);
  if (o.key !== undefined && typeof o.key !== 'function') fail('key', `must be a function (...args) => string (got ${typeof o.key})`);
  if (o.ttlMs !== undefined && (typeof o.ttlMs !== 'number' || !Number.isFinite(o.ttlMs) || o.ttlMs <= 0)) fail('ttlMs', `must be a positive number of ms (got ${String(o.ttlMs)})`);
  if (o.cache !== undefined && !(o.cache instanceof IdempotencyCache)) fail('cache', 'must be an IdempotencyCache');
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0 || o.name.includes('\0'))) fail('name', 'must be a non-empty string without NUL characters');
  const recorded = o.key !== undefined || o.check === undefined;
  if (!recorded) {
    for (const n of ['ttlMs', 'cache', 'name']) if (o[n] !== undefined) fail(n, "applies to recorded calls only: give 'key' as well");
  }
  return o as IdempotentOptions;
}
