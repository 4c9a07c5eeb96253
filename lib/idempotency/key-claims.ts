import type { StateBackend } from '../backends/state-backend';

/**
 * What a claim of one key answers:
 * - `won`: the caller holds the key (its token) until it records a value, releases it, or its
 *   lease lapses (then anyone may take it over);
 * - `done`: a value is recorded under the key (`text`);
 * - `held`: another holder's lease is live; ask again in about `retryInMs` (its remaining lease,
 *   or less).
 * @internal
 */
export type ClaimAnswer = { kind: 'won' } | { kind: 'done'; text: string } | { kind: 'held'; retryInMs: number };

/**
 * Per-key claims: the optional capability of a backend (Redis, SQL) that lets any number of
 * processes share one idempotency scope at once. Each key is its own record: either a claim (a
 * holder token with an expiring lease) or a recorded value (with an optional expiry). Writes of a
 * holder are fenced by its token in the same script or statement, so a holder whose lease lapsed
 * (and whose key another process took over) cannot overwrite or release the newer holder's record.
 *
 * `store` is the idempotency store's entry name (a cache's, or a shared job's), `key` any string:
 * implementations escape or bind both, never splice them into code. Times are the server's where
 * the server keeps them (Redis `PX`, the SQL server's clock), so the processes' clocks do not matter.
 *
 * A backend offers it through a `keyClaims()` method (found by {@link claimsOf}).
 * @internal
 */
export interface KeyClaims {
  /** The lease of a claim (ms): a holder renews it every third of it while its call runs. */
  readonly leaseMs: number;
  /** Claims `key` for `token` when it is free (no record, or a claim whose lease lapsed). */
  claim(store: string, key: string, token: string, leaseMs: number): Promise<ClaimAnswer>;
  /** Extends the lease of `token`'s claim; false when it is not held by `token` any more. */
  renew(store: string, key: string, token: string, leaseMs: number): Promise<boolean>;
  /** Records `text` under `key` when `token` still holds it (fenced); false otherwise. `ttlMs` undefined: never expires. */
  record(store: string, key: string, token: string, text: string, ttlMs: number | undefined): Promise<boolean>;
  /** Gives `token`'s claim up (the call failed): the next claimant wins at once. No-op when not held by `token`. */
  release(store: string, key: string, token: string): Promise<void>;
  /** The recorded (live) value of `key`, or null (no record, expired, or only a claim). */
  read(store: string, key: string): Promise<string | null>;
  /** Records `text` under `key` unconditionally (a mark), replacing a claim or value. */
  put(store: string, key: string, text: string, ttlMs: number | undefined): Promise<void>;
  /** Deletes the record of `key`; answers whether a live value was there. */
  remove(store: string, key: string): Promise<boolean>;
  /** Deletes every record of `store`. */
  clear(store: string): Promise<void>;
  /** Whether this process has made the claims' storage ready (SQL: the key table exists). */
  readonly prepared?: boolean;
  /**
   * SQL: {@link KeyClaims.record} through a transaction's handle on a connection the backend
   * shares (`participant`), so the record commits or rolls back with the caller's writes.
   */
  recordThrough?(participant: unknown, handle: unknown, store: string, key: string, token: string, text: string, ttlMs: number | undefined): Promise<void>;
}

/** A backend that offers per-key claims. @internal */
export interface KeyClaimsBackend {
  keyClaims(): KeyClaims;
}

/**
 * The per-key claims of a backend, or null when it has none (FileBackend, MemoryBackend, user
 * backends: their idempotency stores are used by one process at a time, under a lease).
 * @internal
 */
export function claimsOf(backend: StateBackend): KeyClaims | null {
  const b = backend as Partial<KeyClaimsBackend>;
  return typeof b.keyClaims === 'function' ? b.keyClaims() : null;
}
