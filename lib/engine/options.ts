import type { StateBackend, Durability } from '../backends/state-backend';
import type { ItemKey } from '../progress/key-progress';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { MIN_SECRET_LENGTH } from '../state/keyring';
import type { RetryOptions } from '../policy/retry-options';
import { validatePolicyOptions } from '../policy/policy-options';

/**
 * A logger for verbose output: progress lines go to `info`, problems to `warn`.
 *
 * @example
 * ```ts
 * const logger: SafeStateLogger = { info: (m) => log.info(m), warn: (m) => log.warn(m) };
 * class Job { @SafeState({ name: 'nightly', verbose: logger }) async run(xs: Row[]) { ... } }
 * ```
 */
export interface SafeStateLogger {
  /** Progress lines. */
  info(message: string): void;
  /** Warnings (a body that never iterated its input, a lock lost). */
  warn(message: string): void;
}

/**
 * Options of {@link SafeState} and {@link safeState}. Every option is optional.
 * @typeParam This - the class instance (for a per-instance `name`)
 *
 * @example
 * ```ts
 * class TenantSync {
 *   constructor(readonly tenant: string) {}
 *   @SafeState({ name: (self: TenantSync) => `sync-${self.tenant}`, saveEvery: 10, verbose: true })
 *   async run(rows: Row[]) { for (const row of rows) await upsert(row); }
 * }
 * ```
 */
export interface SafeStateOptions<This = any> {
  /**
   * Job identifier: a string, or `(instance) => string` for per-instance jobs. Default:
   * `ClassName.method` plus a short stable hash of the defining module's path relative to its
   * package root (see docs/resume.md).
   */
  name?: string | ((instance: This) => string);
  /**
   * Directory of the default {@link FileBackend}, relative to the working directory. Default: the
   * `SAFE_STATE_DIR` environment variable (an absolute path lets cron and systemd runs find their
   * checkpoints), else `.safe_state`.
   */
  stateDir?: string;
  /** Where checkpoints live. Default: a {@link FileBackend} in `stateDir`. */
  backend?: StateBackend;
  /** Index of the argument that is the iterable to track. Default `0`. */
  iterableArg?: number;
  /** Persist after every N completed items (integer >= 1). Default `1`. */
  saveEvery?: number;
  /** Also persist when this many ms passed since the last save. Default: none. */
  saveIntervalMs?: number;
  /** Keep each item's `record(value)` in the checkpoint. Default `false`. */
  storeResults?: boolean;
  /** Keep the checkpoint (marked complete) after the job completes. Default `false`. */
  keepOnSuccess?: boolean;
  /**
   * Progress lines on stderr (`true`), or on a logger of yours. Default `false`. With `true` and
   * stderr a terminal, a live line also shows the progress, rate and ETA, redrawn in place a few
   * times per second (not with `TERM=dumb`, nor in manual mode); when stderr is not a terminal,
   * only the plain lines are written.
   */
  verbose?: boolean | SafeStateLogger;
  /** `false` = manual mode: nothing is tracked, the body calls `checkpoint()` itself. Default `true`. */
  autoIterate?: boolean;
  /** Resume by item identity instead of position: `(item, index) => string | number`. */
  key?: (item: any, index: number) => ItemKey;
  /**
   * `'shared'`: several processes (on one or many hosts) cooperate on one job through a backend
   * that can share chunks (`RedisBackend`, `SqlBackend`), claiming chunks of items with expiring
   * leases; see docs/shared-workers.md. Default `'single'`.
   */
  workers?: 'single' | 'shared';
  /** Items per claimed chunk when `workers: 'shared'`. Default `100`. */
  chunkSize?: number;
  /** With `workers: 'shared'`: lease of a claimed chunk in ms (integer >= 100), renewed while held. Default 30 000. */
  leaseMs?: number;
  /** How long a completed shared job's record is kept (ms). Default 24 h. */
  completedTtlMs?: number;
  /**
   * Secret(s) (at least 16 characters each) to sign stored checkpoints with HMAC-SHA256: a
   * checkpoint whose signature does not verify, or an unsigned one, fails to load with
   * `CheckpointCorruptError`. With a list, the first signs and all verify (key rotation). Default:
   * the `SAFE_STATE_SECRET` environment variable (several secrets separated by commas), else none.
   * See docs/security.md.
   */
  secret?: string | string[];
  /** With a secret, also encrypt stored checkpoints (AES-256-GCM). Default `false`. */
  encrypt?: boolean;
  /**
   * What a failed run keeps of the job instance's fields as `frozenState` (for
   * `peekCheckpoint()`, `safe-state show` and `resumeFrozenState()`). Default: every own
   * enumerable field except those whose names mark a secret (`apiKey`, `api_key`, `dbPassword`,
   * `x-auth-token`, `sessionCookie`, …; not `keys` or `monkey`), with the same rule applied inside
   * plain objects, arrays, Maps and Sets at every depth, and URL passwords replaced by `***`; with
   * `encrypt: true` (and a secret), every field as it is. `true`: every field as it is (secrets
   * included). `false`: none. A list of field names: exactly those (also secret-marking ones, since
   * you named them; secrets inside their values are still left out). A function
   * `(instance) => object`: the fields of the object it returns, as they are (for `safeState(fn)`,
   * `instance` is the call's `this`, usually `undefined`). The exact name rule is in
   * docs/security.md.
   *
   * @example
   * ```ts
   * @SafeState({ name: 'sync', frozen: ['cursor', 'pages'] })
   * @SafeState({ name: 'sync', frozen: (self: Sync) => ({ cursor: self.cursor, region: self.config.region }) })
   * ```
   */
  frozen?: boolean | readonly string[] | ((instance: This) => object);
  /** `'strict'` (default): progress is on disk before it counts; `'process'`: handed to the OS only. */
  durability?: Durability;
  /**
   * What a plain `for..of` (or `forEach`) over the job's input does when it cannot wait for the
   * backend's saves (a backend of yours whose `save` returns a promise, without `saveSync`; a
   * bundle without the save worker): `'warn'` (default) warns once
   * (`SAFE_STATE_ASYNC_SAVE_IN_FOR_OF`) and lets the saves run in the background, so a crash may
   * repeat the items completed since the last finished save; `'refuse'` throws
   * {@link InvalidOptionsError} (option `syncLoop`) at the loop's first step, before any item
   * runs, naming the fix: `for await (const x of items)`. `for await` is never affected.
   */
  syncLoop?: 'warn' | 'refuse';
  /**
   * Retry a failed try inside the same call, after a backoff: the body is called again and resumes
   * at the item that failed, exactly as a rerun would (done items skipped, `resumeState()`
   * available); the call succeeds or rejects once, after at most `attempts` tries in all. The
   * failed item's tries are saved in the checkpoint (`lastFailure.tries`), so a process killed
   * between tries does not start counting again. Default: no retry. See docs/failures.md.
   */
  retry?: RetryOptions;
  /**
   * Cancels the job: once aborted, the job stops before its next item, saves, and the call rejects
   * with the signal's reason; a rerun resumes there. The body reads it with `currentSignal()` to
   * cancel its own work in flight. An already-aborted signal rejects at once, before anything is
   * loaded or written. See docs/failures.md.
   */
  signal?: AbortSignal;
  /**
   * What an item whose tries are spent does to the job: `'stop'` (default) ends the call with its
   * error; `'skip'` records it as failed (index or key, error, tries, time) and goes on with the next
   * item. A job that ended with failed items rejects with `JobFailuresError` while every other item
   * is done; the checkpoint is kept, and the next run runs only the failed items and those never
   * reached (`Checkpoint.failedItems`; `safe-state reset --failed` forgets them). See docs/failures.md.
   */
  onItemError?: 'stop' | 'skip';
}

const KNOWN = new Set([
  'name', 'stateDir', 'backend', 'iterableArg', 'saveEvery', 'saveIntervalMs', 'storeResults', 'keepOnSuccess',
  'verbose', 'autoIterate', 'key', 'workers', 'chunkSize', 'leaseMs', 'completedTtlMs', 'secret', 'encrypt', 'durability',
  'frozen', 'syncLoop', 'retry', 'signal', 'onItemError',
]);

function fail(option: string, message: string): never {
  throw new InvalidOptionsError(option, `${option}: ${message}`);
}

function positiveInteger(options: Record<string, unknown>, name: string, min: number): void {
  const v = options[name];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(name, `must be an integer >= ${min} (got ${String(v)})`);
}

/**
 * Validates options at decoration time; throws {@link InvalidOptionsError} naming the option.
 * @internal
 */
export function validateOptions(options: unknown): SafeStateOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new InvalidOptionsError('options', `options must be an object (got ${typeof options})`);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) fail(k, `unknown option (known: ${[...KNOWN].join(', ')})`);
  if (o.name !== undefined) {
    if (typeof o.name === 'string') {
      if (o.name.length === 0) fail('name', 'must not be empty');
    } else if (typeof o.name !== 'function') fail('name', `must be a string or (instance) => string (got ${typeof o.name})`);
  }
  if (o.stateDir !== undefined && (typeof o.stateDir !== 'string' || o.stateDir === '' || o.stateDir.includes('\0'))) fail('stateDir', 'must be a non-empty path');
  if (o.backend !== undefined) {
    const b = o.backend as Record<string, unknown> | null;
    if (!b || typeof b !== 'object' || ['load', 'save', 'delete', 'exists'].some((m) => typeof b[m] !== 'function')) {
      fail('backend', 'must be a StateBackend (load, save, delete, exists)');
    }
  }
  positiveInteger(o, 'iterableArg', 0);
  positiveInteger(o, 'saveEvery', 1);
  positiveInteger(o, 'chunkSize', 1);
  positiveInteger(o, 'leaseMs', 100);
  for (const n of ['saveIntervalMs', 'completedTtlMs']) {
    const v = o[n];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) fail(n, `must be a positive number of ms (got ${String(v)})`);
  }
  for (const n of ['storeResults', 'keepOnSuccess', 'autoIterate', 'encrypt']) {
    if (o[n] !== undefined && typeof o[n] !== 'boolean') fail(n, `must be a boolean (got ${typeof o[n]})`);
  }
  if (o.verbose !== undefined && typeof o.verbose !== 'boolean') {
    const l = o.verbose as Record<string, unknown> | null;
    if (!l || typeof l.info !== 'function' || typeof l.warn !== 'function') fail('verbose', 'must be a boolean or a logger with info() and warn()');
  }
  if (o.frozen !== undefined && typeof o.frozen !== 'boolean' && typeof o.frozen !== 'function') {
    if (!Array.isArray(o.frozen) || o.frozen.some((n) => typeof n !== 'string' || n === '')) {
      fail('frozen', `must be a boolean, a list of field names, or (instance) => object (got ${Array.isArray(o.frozen) ? 'a list with a non-name' : typeof o.frozen})`);
    }
  }
  if (o.key !== undefined && typeof o.key !== 'function') fail('key', 'must be a function (item, index) => string | number');
  if (o.workers !== undefined && o.workers !== 'single' && o.workers !== 'shared') fail('workers', `must be 'single' or 'shared' (got ${String(o.workers)})`);
  if (o.workers === 'shared') {
    // chunks are positional, the job's record is shared by every worker: options that need a
    // private, per-run checkpoint do not apply
    if (o.key !== undefined) fail('key', "cannot be used with workers: 'shared' (chunks are ranges of positions)");
    if (o.autoIterate === false) fail('autoIterate', "workers: 'shared' needs autoIterate (the engine hands out the items of claimed chunks)");
    if (o.storeResults === true) fail('storeResults', "cannot be used with workers: 'shared'");
    const b = o.backend as { sharedChunks?: unknown; constructor?: { name?: string } } | undefined;
    if (b === undefined) fail('workers', "workers: 'shared' needs a 'backend' that several processes can share (RedisBackend, SqlBackend)");
    if (typeof b.sharedChunks !== 'function') {
      fail('workers', `workers: 'shared' needs a backend whose workers can share chunks (RedisBackend, SqlBackend); ${b.constructor?.name ?? 'this backend'} has no sharedChunks()`);
    }
  }
  if (o.durability !== undefined && o.durability !== 'strict' && o.durability !== 'process') fail('durability', `must be 'strict' or 'process' (got ${String(o.durability)})`);
  if (o.syncLoop !== undefined && o.syncLoop !== 'warn' && o.syncLoop !== 'refuse') fail('syncLoop', `must be 'warn' or 'refuse' (got ${String(o.syncLoop)})`);
  if (o.secret !== undefined) {
    const list = Array.isArray(o.secret) ? o.secret : [o.secret];
    if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length < MIN_SECRET_LENGTH)) {
      fail('secret', `must be a string (or a non-empty list of strings) of at least ${MIN_SECRET_LENGTH} characters`);
    }
  }
  validatePolicyOptions(o);
  // encrypt without a secret option may still get one from SAFE_STATE_SECRET: checked at each run
  return o as SafeStateOptions;
}
