import { InvalidOptionsError } from '../../errors/invalid-options-error';

/**
 * Options of {@link RedisBackend} (both constructors).
 *
 * @example
 * ```ts
 * new RedisBackend(client, { prefix: 'billing:prod:', leaseMs: 60_000 });
 * ```
 */
export interface RedisBackendOptions {
  /**
   * Prefix of every key the backend writes (default `'safe-state:'`). 1 to 200 printable ASCII
   * characters other than space, `{`, `}`, `*`, `?`, `[`, `]` and `\`, so that listing with `SCAN
   * MATCH` and cluster hash tags stay exact. Give each application (or environment) its own prefix.
   */
  prefix?: string;
  /**
   * Lease of a job's lock in ms (default 30 000). The lease is renewed every third of it while the
   * job runs, and by every save; a run whose holder died is taken over when the lease ran out (at
   * once when the holder was a process on this host that is gone). At least 1 000.
   */
  leaseMs?: number;
}

/**
 * Options of {@link RedisBackend.fromUrl}: the backend's own, plus how the client it creates connects.
 *
 * @example
 * ```ts
 * RedisBackend.fromUrl('rediss://cache.internal:6380/2', { prefix: 'etl:', connectTimeoutMs: 2_000, redisOptions: { tls: {} } });
 * ```
 */
export interface RedisUrlOptions extends RedisBackendOptions {
  /**
   * How long connecting may take, and how long a command may wait for its reply, before the
   * operation fails with `BackendError` (ms, default 5 000).
   */
  connectTimeoutMs?: number;
  /**
   * Further ioredis options for the client (TLS, `username`, `db`, …). The fail-fast settings
   * (`lazyConnect`, `connectTimeout`, `commandTimeout`, `maxRetriesPerRequest`, `retryStrategy`)
   * are safe-state's unless given here.
   */
  redisOptions?: Record<string, unknown>;
}

/** The validated options. @internal */
export interface ResolvedRedisOptions {
  prefix: string;
  leaseMs: number;
}

/** Default key prefix. @internal */
export const DEFAULT_PREFIX = 'safe-state:';
/** Default lock lease, ms. @internal */
export const DEFAULT_LEASE_MS = 30_000;
/** Default connect/command timeout of clients made by `fromUrl`, ms. @internal */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

const KNOWN = new Set(['prefix', 'leaseMs', 'connectTimeoutMs', 'redisOptions']);
const PREFIX_RE = /^[\x21-\x7e]{1,200}$/;
const PREFIX_FORBIDDEN = /[{}*?[\]\\]/;

/** Validates the options of a RedisBackend. @internal */
export function resolveRedisOptions(options: RedisUrlOptions | undefined): ResolvedRedisOptions {
  const o = options ?? {};
  if (typeof o !== 'object') throw new InvalidOptionsError('options', `RedisBackend options must be an object (got ${typeof o})`);
  for (const k of Object.keys(o)) {
    if (!KNOWN.has(k)) throw new InvalidOptionsError(k, `RedisBackend: unknown option '${k}' (known: ${[...KNOWN].join(', ')})`);
  }
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || !PREFIX_RE.test(prefix) || PREFIX_FORBIDDEN.test(prefix)) {
    throw new InvalidOptionsError(
      'prefix',
      `RedisBackend prefix must be 1-200 printable ASCII characters without spaces or any of {}*?[]\\ (got ${JSON.stringify(prefix)})`,
    );
  }
  const leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
  if (typeof leaseMs !== 'number' || !Number.isInteger(leaseMs) || leaseMs < 1_000) {
    throw new InvalidOptionsError('leaseMs', `RedisBackend leaseMs must be an integer >= 1000 (got ${String(leaseMs)})`);
  }
  const t = o.connectTimeoutMs;
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)) {
    throw new InvalidOptionsError('connectTimeoutMs', `RedisBackend connectTimeoutMs must be a positive number (got ${String(t)})`);
  }
  if (o.redisOptions !== undefined && (typeof o.redisOptions !== 'object' || o.redisOptions === null)) {
    throw new InvalidOptionsError('redisOptions', `RedisBackend redisOptions must be an object of ioredis options`);
  }
  return { prefix, leaseMs };
}
