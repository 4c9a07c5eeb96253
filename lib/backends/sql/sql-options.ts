import { InvalidOptionsError } from '../../errors/invalid-options-error';

/**
 * The SQL dialects {@link SqlBackend} speaks.
 *
 * @example
 * ```ts
 * const dialect: SqlDialect = 'postgres';
 * new SqlBackend(pool, { dialect });
 * ```
 */
export type SqlDialect = 'sqlite' | 'mysql' | 'postgres';

/**
 * Options of {@link SqlBackend}.
 *
 * @example
 * ```ts
 * new SqlBackend(pool, { table: 'etl_checkpoints', timeoutMs: 10_000 });
 * ```
 */
export interface SqlBackendOptions {
  /**
   * The database's dialect. Inferred from the connection where it tells (better-sqlite3 →
   * `'sqlite'`, mysql2 → `'mysql'`, pg → `'postgres'`, knex → its `client`); when given, it must
   * agree with what the connection tells. Default `'sqlite'`.
   */
  dialect?: SqlDialect;
  /**
   * The table of checkpoints (default `safe_state_checkpoints`), created when missing. A plain
   * identifier: a letter or `_`, then letters, digits or `_`, at most 63 characters (no schema
   * prefix, no quotes).
   */
  table?: string;
  /**
   * MySQL and PostgreSQL: how long one operation may take (checking a connection out of a pool
   * included) before it fails with `BackendError` (ms, default 5 000). Raise it for very large
   * checkpoints over slow links.
   */
  timeoutMs?: number;
  /**
   * SQLite: lease of a job's lock row in ms (default 30 000, at least 1 000), renewed while the job
   * runs. A holder on this host that is gone is taken over at once; one on another host when its
   * lease ran out.
   */
  leaseMs?: number;
}

/** @internal */
export interface ResolvedSqlOptions {
  dialect: SqlDialect | undefined;
  table: string;
  timeoutMs: number;
  leaseMs: number;
}

/** Default table. @internal */
export const DEFAULT_TABLE = 'safe_state_checkpoints';
const KNOWN = new Set(['dialect', 'table', 'timeoutMs', 'leaseMs']);
const DIALECTS = new Set(['sqlite', 'mysql', 'postgres']);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Validates the options of an SqlBackend. @internal */
export function resolveSqlOptions(options: SqlBackendOptions | undefined): ResolvedSqlOptions {
  const o = options ?? {};
  if (typeof o !== 'object') throw new InvalidOptionsError('options', `SqlBackend options must be an object (got ${typeof o})`);
  for (const k of Object.keys(o)) {
    if (!KNOWN.has(k)) throw new InvalidOptionsError(k, `SqlBackend: unknown option '${k}' (known: ${[...KNOWN].join(', ')})`);
  }
  if (o.dialect !== undefined && !DIALECTS.has(o.dialect)) {
    throw new InvalidOptionsError('dialect', `SqlBackend dialect must be 'sqlite', 'mysql' or 'postgres' (got ${JSON.stringify(o.dialect)})`);
  }
  const table = o.table ?? DEFAULT_TABLE;
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new InvalidOptionsError(
      'table',
      `SqlBackend table ${JSON.stringify(table)} is not a plain identifier (a letter or _, then letters, digits or _, at most 63 characters)`,
    );
  }
  const timeoutMs = o.timeoutMs ?? 5_000;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidOptionsError('timeoutMs', `SqlBackend timeoutMs must be a positive number (got ${String(timeoutMs)})`);
  }
  const leaseMs = o.leaseMs ?? 30_000;
  if (typeof leaseMs !== 'number' || !Number.isInteger(leaseMs) || leaseMs < 1_000) {
    throw new InvalidOptionsError('leaseMs', `SqlBackend leaseMs must be an integer >= 1000 (got ${String(leaseMs)})`);
  }
  return { dialect: o.dialect, table, timeoutMs, leaseMs };
}
