import type { StateBackend, Durability } from '../backends/state-backend';
import type { SafeStateLogger } from '../engine/options';
import { validateOptions } from '../engine/options';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { globalRegistry } from '../util/global-registry';
import { parseBackendUrl } from './backend-url';

/**
 * Process-wide defaults set with {@link configure}: each one applies to every job (and, for
 * `backend` and `stateDir`, every default `IdempotencyCache` and `@Idempotent` record outside a
 * job) whose decorator or `safeState()` leaves the option out. The options that describe one job
 * (`name`, `key`, `iterableArg`, `autoIterate`, `workers`, `storeResults`) stay with the job.
 *
 * @example
 * ```ts
 * const options: SafeStateDefaults = { backend: 'redis://queue.internal:6379', verbose: true, durability: 'process' };
 * configure(options);
 * ```
 */
export interface SafeStateDefaults {
  /**
   * Where checkpoints live: a {@link StateBackend}, or a URL opened on first use, one backend per
   * URL per process (`redis://`, `rediss://`, `postgres://`, `postgresql://`, `mysql://`,
   * `mariadb://`, `sqlite:<file>`, `file:<dir>`, `memory:`; see docs/configuration.md). Wins over
   * `stateDir` and over the `SAFE_STATE_URL` and `SAFE_STATE_DIR` environment variables.
   */
  backend?: StateBackend | string;
  /**
   * Directory of the default FileBackend (relative to the working directory at job start). Wins
   * over the `SAFE_STATE_URL` and `SAFE_STATE_DIR` environment variables.
   */
  stateDir?: string;
  /** See {@link SafeStateOptions.durability}. */
  durability?: Durability;
  /** See {@link SafeStateOptions.verbose}. */
  verbose?: boolean | SafeStateLogger;
  /** See {@link SafeStateOptions.secret}. Wins over the `SAFE_STATE_SECRET` environment variable. */
  secret?: string | string[];
  /** See {@link SafeStateOptions.encrypt}. */
  encrypt?: boolean;
  /** See {@link SafeStateOptions.saveEvery}. */
  saveEvery?: number;
  /** See {@link SafeStateOptions.saveIntervalMs}. */
  saveIntervalMs?: number;
  /** See {@link SafeStateOptions.keepOnSuccess}. */
  keepOnSuccess?: boolean;
  /** See {@link SafeStateOptions.frozen} (the per-class function form belongs to the decorator). */
  frozen?: boolean | readonly string[];
  /** See {@link SafeStateOptions.chunkSize} (jobs with `workers: 'shared'`). */
  chunkSize?: number;
  /** See {@link SafeStateOptions.leaseMs} (jobs with `workers: 'shared'`). */
  leaseMs?: number;
  /** See {@link SafeStateOptions.completedTtlMs} (jobs with `workers: 'shared'`). */
  completedTtlMs?: number;
  /** See {@link SafeStateOptions.syncLoop}: `'refuse'` makes every job refuse a plain `for..of` it cannot save per item. */
  syncLoop?: 'warn' | 'refuse';
}

const PROCESS_WIDE: ReadonlySet<string> = new Set([
  'backend', 'stateDir', 'durability', 'verbose', 'secret', 'encrypt', 'saveEvery', 'saveIntervalMs', 'keepOnSuccess',
  'frozen', 'chunkSize', 'leaseMs', 'completedTtlMs', 'syncLoop',
] satisfies (keyof SafeStateDefaults)[]);

const PER_JOB: ReadonlySet<string> = new Set(['name', 'key', 'iterableArg', 'autoIterate', 'workers', 'storeResults']);

/** Checks `defaults` like the decorator checks its options, and returns a frozen copy without `undefined` values. */
function validated(defaults: unknown): Readonly<SafeStateDefaults> {
  if (defaults === null || typeof defaults !== 'object' || Array.isArray(defaults)) {
    throw new InvalidOptionsError('options', `configure: takes an object of default options (got ${defaults === null ? 'null' : Array.isArray(defaults) ? 'an array' : typeof defaults})`);
  }
  const given = defaults as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(given)) {
    if (PER_JOB.has(k)) throw new InvalidOptionsError(k, `${k}: describes one job, not the process: give it to @SafeState / safeState() (configure takes ${[...PROCESS_WIDE].join(', ')})`);
    if (!PROCESS_WIDE.has(k)) throw new InvalidOptionsError(k, `${k}: unknown option for configure (it takes ${[...PROCESS_WIDE].join(', ')})`);
    if (given[k] !== undefined) out[k] = given[k];
  }
  if (typeof out.frozen === 'function') throw new InvalidOptionsError('frozen', 'frozen: configure takes true, false or a list of field names; a function of the instance belongs to the job\'s decorator');
  const { backend, ...rest } = out;
  validateOptions(rest);
  if (typeof backend === 'string') parseBackendUrl(backend, 'backend');
  else if (backend !== undefined) validateOptions({ backend });
  if (Array.isArray(out.secret)) out.secret = Object.freeze([...(out.secret as string[])]);
  if (Array.isArray(out.frozen)) out.frozen = Object.freeze([...(out.frozen as string[])]);
  return Object.freeze(out) as Readonly<SafeStateDefaults>;
}

/**
 * Sets process-wide defaults for the options a job's decorator (or `safeState()`) leaves out.
 * Precedence, highest first: a {@link withBackend} scope (backend only), the decorator's options,
 * `configure()`, the environment (`SAFE_STATE_URL`, `SAFE_STATE_DIR`, `SAFE_STATE_SECRET`), the
 * built-in default. Each call merges into the defaults set before (an option given as `undefined`
 * removes that default) and applies to job calls that start afterwards; it returns a function
 * that puts the defaults back as they were before this call. Every loaded copy of safe-state (CJS
 * and ESM) sees the same defaults. A decorator's `backend` or `stateDir` (either one) wins over
 * both the configured `backend` and `stateDir`.
 *
 * @example
 * ```ts
 * configure({ stateDir: '/var/lib/billing/safe_state', verbose: true });
 * configure({ backend: process.env.CHECKPOINTS_URL }); // 'postgres://…': opened on first use
 *
 * // in a test: set, then restore
 * const restore = configure({ backend: new MemoryBackend() });
 * try { await job.run(items); } finally { restore(); }
 * ```
 * @param defaults - the defaults to set (see {@link SafeStateDefaults})
 * @returns a function restoring the defaults that were in force before this call (calling it again does nothing)
 * @throws InvalidOptionsError naming the option when one is unknown, describes one job (`name`,
 *   `key`, …) or has an invalid value; a `backend` URL with an unknown scheme or that does not parse
 */
export function configure(defaults: SafeStateDefaults): () => void {
  const add = validated(defaults);
  const given = defaults as Record<string, unknown>;
  const r = globalRegistry();
  const before = r.configured;
  const merged: Record<string, unknown> = { ...before };
  for (const k of Object.keys(given)) delete merged[k]; // undefined removes; defined replaces
  Object.assign(merged, add);
  r.configured = Object.keys(merged).length > 0 ? Object.freeze(merged) : undefined;
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    globalRegistry().configured = before;
  };
}

/** The defaults set with {@link configure}, or undefined when there are none. @internal */
export function configuredDefaults(): Readonly<SafeStateDefaults> | undefined {
  return globalRegistry().configured as Readonly<SafeStateDefaults> | undefined;
}
