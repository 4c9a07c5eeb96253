import type { SqlDialect } from '../sql-options';

/**
 * What differs between databases: DDL, upserts, and how a job's lock is held. Statements use `?`
 * placeholders. Columns of the table: `id` (see job-ids.ts), `job_name`, `data` (checkpoint text,
 * NULL on lock rows), `holder` (lock record, NULL on checkpoint rows), `expires_at` (ms, SQLite
 * lease rows), `updated_at` (ms).
 * @internal
 */
export interface Dialect {
  readonly name: SqlDialect;
  /** Statements that create the table when it is missing. */
  createTable(table: string): string[];
  /** Statements over `table`. */
  statements(table: string): SqlStatements;
  /**
   * How the lock is held: `'lease'` (a lock row with an expiry, renewed; SQLite) or `'session'`
   * (a server lock bound to a held connection: MySQL GET_LOCK, PostgreSQL advisory locks).
   */
  readonly locking: 'lease' | 'session';
  /** Session locking: a query answering one value naming the schema the table lives in. */
  readonly scopeQuery?: string;
  /** Session locking: the server lock's key for a job (a string for MySQL, an int8 text for PostgreSQL). */
  lockKey?(scope: string, table: string, jobName: string): string;
  /** Session locking: takes the lock without waiting; answers one value, true/1 when taken. Param: key. */
  readonly tryLock?: string;
  /** Session locking: releases it. Param: key. */
  readonly unlock?: string;
}

/** @internal */
export interface SqlStatements {
  /** params: id, job_name, data, updated_at */
  upsert: string;
  /** params: id → rows [[data]] */
  load: string;
  /** params: id → rows [[1]] */
  exists: string;
  /** → rows [[job_name]] of checkpoint rows */
  list: string;
  /** upsert of a lock row. params: id, job_name, holder, expires_at, updated_at */
  lockRow: string;
  /** params: id → rows [[holder, expires_at]] */
  lockHolder: string;
  /** params: id, holder */
  unlockRow: string;
  /**
   * Lease locking (SQLite) only:
   * - `leaseTake`: takes the lock row when there is none, or replaces the row of a given holder
   *   whose expiry is below a limit (compare-and-set of a takeover).
   *   params: id, job_name, holder, expires_at, updated_at, holder to replace ('' = none), expiry limit
   * - `leaseRenew`: params: expires_at, id, holder → rows [[id]] when still ours
   */
  /**
   * Transactional records (exactly-once; see transactional-records.ts): rows `rec:<h>:<random>`
   * beside the entry's row, inserted through a user's transaction.
   * - `recordInsert`: params: id, job_name, data, updated_at
   * - `recordList`: params: id pattern (`rec:<h>:%`) → rows [[id, data]], oldest first
   * - `recordDeleteAll`: the entry's row and its records, in one statement; params: id, id pattern
   * - `recordDeleteIn`: `DELETE … WHERE id IN ` to complete with a parenthesized list of `?`
   */
  recordInsert: string;
  recordList: string;
  /**
   * Settling before a fold (see SqlRecords.readRecords): a server may still be finishing the COMMIT
   * a killed process sent, after that process's lock was freed.
   * - `recordListSettled`: `recordList` as a locking read that waits for transactions still
   *   inserting records in its range (MySQL/MariaDB: `LOCK IN SHARE MODE`); default `recordList`
   * - `recordInsertGuarded`: `recordInsert` that also takes a shared lock held until the
   *   transaction ends; params: those of `recordInsert`, then two int4 keys (PostgreSQL:
   *   `pg_advisory_xact_lock_shared`, in the same statement: no extra round trip)
   * - `recordSettle`: run before a settled read: waits for every such guard, then lets go at once
   *   (an autocommit statement); params: the same two keys (PostgreSQL: `pg_advisory_xact_lock`)
   */
  recordListSettled?: string;
  recordInsertGuarded?: string;
  recordSettle?: string;
  recordDeleteAll: string;
  recordDeleteIn: string;
  leaseTake?: string;
  leaseRenew?: string;
  /**
   * Fenced writes of a run that holds the job's lock (every dialect; see sql-fence.ts): they apply
   * only while the job's lock row holds the run's record, checked in the same statement (a locking
   * read of the lock row, so a takeover being committed is waited for, then seen).
   * - `fencedUpsert`: `upsert`. params: id, job_name, data, updated_at, lock id, holder → rows
   *   [[1]] when written (`RETURNING`), or mysql2's `affectedRows`
   * - `fencedDelete`: `recordDeleteAll`. params: lock id, holder, id, id pattern → rows [[1]] per
   *   deleted row, or `affectedRows`
   */
  fencedUpsert: string;
  fencedDelete: string;
}
