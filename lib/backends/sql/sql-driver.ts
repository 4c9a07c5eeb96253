import type { SqlDialect } from './sql-options';

/** Query results as arrays of column values, in the order of the SELECT list. @internal */
export type Rows = unknown[][];

/** A connection held for one job run (the lock lives on it, and the run's writes go through it). @internal */
export interface SqlSession {
  query(sql: string, params: unknown[]): Promise<Rows>;
  /** Gives the connection back; `broken` when it failed (it is then discarded, not reused). */
  release(broken: boolean): Promise<void>;
}

/**
 * One database driver behind {@link SqlBackend}. SQL text is written with `?` placeholders; drivers
 * whose server wants another style translate.
 * @internal
 */
export interface SqlDriver {
  /** Which driver, for messages. */
  readonly name: string;
  /** The dialect the connection tells, or null when it does not. */
  readonly dialect: SqlDialect | null;
  /** The object that identifies the connection (scope of the in-process lock). */
  readonly identity: object;
  /** Whether the connection answers synchronously (better-sqlite3): `querySync` and `transactionSync` then exist. */
  readonly sync: boolean;
  query(sql: string, params: unknown[]): Promise<Rows>;
  querySync?(sql: string, params: unknown[]): Rows;
  /** Runs `fn` in a transaction (a savepoint when one is open already). */
  transactionSync?<T>(fn: () => T): T;
  /** A connection of its own for one job run: a pool checks one out; a single connection is itself. */
  session(): Promise<SqlSession>;
}

/**
 * Normalizes driver results (arrays, or objects keyed by column) to arrays of values. The result of
 * a write (a mysql2 `ResultSetHeader`) becomes no rows carrying its `affectedRows`.
 * @internal
 */
export function toRows(rows: unknown): Rows {
  if (!Array.isArray(rows)) {
    const n = (rows as { affectedRows?: unknown } | null)?.affectedRows;
    return typeof n === 'number' ? Object.assign([], { affectedRows: n }) : [];
  }
  return rows.map((r) => (Array.isArray(r) ? r : r !== null && typeof r === 'object' ? Object.values(r) : [r]));
}
