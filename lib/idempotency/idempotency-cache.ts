import type { StateBackend, Durability } from '../backends/state-backend';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import type { KeyStore } from './key-store';
import { cacheStore, cacheStoreName, defaultFileBackend } from './store-registry';
import { claimsOf, type KeyClaims } from './key-claims';
import { adoptLeasedStore, dropLeasedStore } from './adopt-leased-store';
import { scopedBackend } from '../config/scoped-backend';
import { configuredBackend } from '../config/default-backend';

/**
 * Options of {@link IdempotencyCache}. Every option is optional.
 * @example
 * ```ts
 * const options: IdempotencyCacheOptions = { name: 'uploads', backend: new FileBackend({ dir: '/var/lib/app' }), ttlMs: 86_400_000 };
 * const uploads = new IdempotencyCache(options);
 * ```
 */
export interface IdempotencyCacheOptions {
  /** The cache's name: caches with the same name in the same backend are the same cache. Default `'default'`. */
  name?: string;
  /**
   * Where the keys live. Default: the backend of the enclosing `withBackend()` scope, else the
   * default backend of `configure()` or `SAFE_STATE_URL`, else a {@link FileBackend} in the default
   * state directory (see docs/configuration.md).
   */
  backend?: StateBackend;
  /** Keys expire this many ms after they were marked. Default: never. */
  ttlMs?: number;
  /** `'strict'` (default): a mark is on disk (fdatasync, or the server's commit) before it counts; `'process'`: handed to the OS only. */
  durability?: Durability;
  /**
   * How long a call waits while another process uses the cache (ms, default 30 000), or on Redis
   * and SQL while another process runs a call of the same key; then it fails with
   * {@link JobLockedError}. See docs/idempotency.md, "Concurrency".
   */
  waitMs?: number;
}

const KNOWN = new Set(['name', 'backend', 'ttlMs', 'durability', 'waitMs']);

/** Default of {@link IdempotencyCacheOptions.waitMs}. @internal */
export const DEFAULT_WAIT_MS = 30_000;

function fail(option: string, message: string): never {
  throw new InvalidOptionsError(option, `IdempotencyCache ${option}: ${message}`);
}

/** @internal */
export function isBackend(b: unknown): b is StateBackend {
  const o = b as Record<string, unknown> | null;
  return !!o && typeof o === 'object' && ['load', 'save', 'delete', 'exists'].every((m) => typeof o[m] === 'function');
}

function validate(options: unknown): IdempotencyCacheOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new InvalidOptionsError('options', `IdempotencyCache options must be an object (got ${typeof options})`);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) fail(k, `unknown option (known: ${[...KNOWN].join(', ')})`);
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0)) fail('name', 'must be a non-empty string');
  if (o.backend !== undefined && !isBackend(o.backend)) fail('backend', 'must be a StateBackend (load, save, delete, exists)');
  if (o.ttlMs !== undefined && (typeof o.ttlMs !== 'number' || !Number.isFinite(o.ttlMs) || o.ttlMs <= 0)) fail('ttlMs', `must be a positive number of ms (got ${String(o.ttlMs)})`);
  if (o.waitMs !== undefined && (typeof o.waitMs !== 'number' || !Number.isFinite(o.waitMs) || o.waitMs < 0)) fail('waitMs', `must be a number of ms >= 0 (got ${String(o.waitMs)})`);
  if (o.durability !== undefined && o.durability !== 'strict' && o.durability !== 'process') fail('durability', `must be 'strict' or 'process' (got ${String(o.durability)})`);
  return o as IdempotencyCacheOptions;
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new TypeError(`IdempotencyCache: a key must be a string (got ${typeof key})`);
  return key;
}

const stores = new WeakMap<IdempotencyCache, KeyStore>();
/** The per-key claims of a cache's backend (Redis, SQL), or null (a store used under a lease). */
const claimsByCache = new WeakMap<IdempotencyCache, KeyClaims | null>();

/** The store behind a cache. @internal */
export function storeOf(cache: IdempotencyCache): KeyStore {
  return stores.get(cache)!;
}

/**
 * Null when the cache's per-key claims can be used at once; else the promise of moving the records
 * an older safe-state kept in the cache's store entry into per-key records (adopt-leased-store.ts),
 * to await before the first claim. @internal
 */
export function claimsReady(cache: IdempotencyCache, claims: KeyClaims): Promise<void> | null {
  return adoptLeasedStore(storeOf(cache), claims, cache.waitMs);
}

/** `fn()` once {@link claimsReady}. */
function whenReady<T>(cache: IdempotencyCache, claims: KeyClaims, fn: () => Promise<T>): Promise<T> {
  const adopting = claimsReady(cache, claims);
  return adopting ? adopting.then(fn) : fn();
}

/**
 * A persisted set of keys ("this was done"), for side effects that must not repeat after a crash
 * or in a later run: `seen(key)`, `mark(key)`, `delete(key)`, `clear()`. Keys survive crashes and
 * restarts, expire after `ttlMs` when given, and live in any {@link StateBackend}.
 *
 * It stays cheap at millions of keys: the set is read once per process into memory, `seen` is a
 * lookup, and `mark` appends one small record (with backends that offer `append`, as File and
 * Memory do; others get a whole save per mark). See docs/idempotency.md for the figures.
 *
 * Mark after the effect succeeded: a crash between the effect and `mark` repeats the effect once
 * on the next run (at-least-once). On Redis and SQL backends, keys are claimed one by one on the
 * server, so any number of processes use one cache at once (docs/idempotency.md, "Per-key
 * claims"); on other backends (FileBackend) several processes share a cache one at a time (the
 * backend's lock, given back after a second of idleness, on {@link IdempotencyCache.close} or at exit).
 * Also usable as the `cache` of {@link Idempotent}.
 *
 * @example
 * ```ts
 * const sent = new IdempotencyCache({ name: 'welcome-emails', ttlMs: 30 * 24 * 3600_000 });
 * for (const user of users) {
 *   if (await sent.seen(user.id)) continue;
 *   await mailer.send(user.email, 'Welcome!');
 *   await sent.mark(user.id);
 * }
 * ```
 */
export class IdempotencyCache {
  /** The cache's name. */
  readonly name: string;
  /** Where the keys live. */
  readonly backend: StateBackend;
  /** Expiry of marks in ms, or `undefined` (never). */
  readonly ttlMs: number | undefined;
  /** Durability of writes. */
  readonly durability: Durability;
  /** How long a call waits for another process using the cache (ms). */
  readonly waitMs: number;

  /** @param options - see {@link IdempotencyCacheOptions} */
  constructor(options?: IdempotencyCacheOptions) {
    const o = validate(options);
    this.name = o.name ?? 'default';
    this.backend = o.backend ?? scopedBackend() ?? configuredBackend() ?? defaultFileBackend();
    this.ttlMs = o.ttlMs;
    this.durability = o.durability ?? 'strict';
    this.waitMs = o.waitMs ?? DEFAULT_WAIT_MS;
    stores.set(this, cacheStore(this.backend, this.name));
    claimsByCache.set(this, claimsOf(this.backend));
  }

  private async use<T>(fn: (store: KeyStore) => T | Promise<T>): Promise<T> {
    const store = storeOf(this);
    await store.pin(this.waitMs);
    try {
      return await fn(store);
    } finally {
      store.unpin();
    }
  }

  /**
   * Whether `key` was marked (and has not expired).
   * @param key - any string
   * @example
   * ```ts
   * if (await cache.seen(`invoice:${id}`)) return;
   * ```
   */
  seen(key: string): Promise<boolean> {
    const k = checkKey(key);
    const claims = claimsByCache.get(this);
    if (claims) return whenReady(this, claims, () => claims.read(cacheStoreName(this.name), `m${k}`)).then((v) => v !== null);
    const store = storeOf(this);
    if (store.tryPin()) {
      // the hot path: the cache is in use by this process already, the answer is in memory
      try {
        return Promise.resolve(store.hasMark(k));
      } finally {
        store.unpin();
      }
    }
    return this.use((s) => s.hasMark(k));
  }

  /**
   * Records `key` durably (per {@link IdempotencyCacheOptions.durability}); resolves when it counts.
   * Marking a key again renews its expiry.
   * @param key - any string
   * @example
   * ```ts
   * await sendInvoice(id);
   * await cache.mark(`invoice:${id}`);
   * ```
   */
  mark(key: string): Promise<void> {
    const k = checkKey(key);
    const claims = claimsByCache.get(this);
    if (claims) return whenReady(this, claims, () => claims.put(cacheStoreName(this.name), `m${k}`, '', this.ttlMs));
    const expires = this.ttlMs === undefined ? 0 : Date.now() + this.ttlMs;
    return this.use((s) => s.mark(k, expires, this.durability));
  }

  /**
   * Forgets `key`; answers whether it was marked (and not expired).
   * @param key - any string
   * @example
   * ```ts
   * await cache.delete(`invoice:${id}`); // send it again next time
   * ```
   */
  delete(key: string): Promise<boolean> {
    const k = checkKey(key);
    const claims = claimsByCache.get(this);
    if (claims) return whenReady(this, claims, () => claims.remove(cacheStoreName(this.name), `m${k}`));
    return this.use((s) => s.unmark(k, this.durability));
  }

  /**
   * Forgets every key, and every `@Idempotent` result recorded in this cache.
   * @example
   * ```ts
   * await new IdempotencyCache({ name: 'welcome-emails' }).clear();
   * ```
   */
  clear(): Promise<void> {
    const claims = claimsByCache.get(this);
    if (claims) return dropLeasedStore(storeOf(this)).then(() => claims.clear(cacheStoreName(this.name)));
    return this.use((s) => s.clear(this.durability));
  }

  /**
   * Gives this process's hold on the cache back now (it is also given back after a second
   * without use, and when the process exits), so another process can use it at once. The cache
   * stays usable: the next call takes it again.
   * @example
   * ```ts
   * await cache.close();
   * ```
   */
  close(): Promise<void> {
    if (claimsByCache.get(this)) return Promise.resolve(); // per-key claims: nothing is held between calls
    return storeOf(this).close();
  }

  /** Same as {@link IdempotencyCache.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
