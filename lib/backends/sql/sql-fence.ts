import { parseLockRecord } from '../lock-record';
import type { Rows } from './sql-driver';
import { JobLockedError } from '../../errors/job-locked-error';

/**
 * What fences the writes of a run that holds a job's lock: the job's lock row and the record (holder
 * and a random token) the run put there when it took the lock. A takeover replaces the record, a
 * release deletes the row, and no record is ever written twice: once the row stops holding the
 * run's record, it never holds it again. A write that checks the record in its own statement (see
 * `fencedUpsert` / `fencedDelete`) therefore cannot land once another run took the job over, even
 * if that run has finished and cleared the job since, whatever happened to this run meanwhile (its
 * process stopped, its connection, and the server lock with it, killed).
 * @internal
 */
export interface SqlFence {
  /** the lock row's id */
  id: string;
  /** the lock record the run wrote there */
  record: string;
}

/** Whether a fenced statement applied: rows it returned (`RETURNING`), or rows mysql2 says it matched. @internal */
export function fencedApplied(rows: Rows): boolean {
  if (rows.length > 0) return true;
  const n = (rows as { affectedRows?: unknown }).affectedRows;
  return typeof n === 'number' && n > 0;
}

/**
 * After a fenced statement that reported no row: `current` is the lock row's record read since.
 * Still the run's own: the fence held and the statement had nothing to change (a delete of nothing;
 * a MySQL upsert of the same values on a connection that counts changed rows only). Otherwise the
 * run lost its lock: `JobLockedError` with `lost` set, naming the run that holds the job now.
 * @internal
 */
export function confirmFence(jobName: string, fence: SqlFence, current: unknown): void {
  if (current === fence.record) return;
  throw new JobLockedError(jobName, parseLockRecord(current), true);
}

/**
 * Whether an error says the connection is gone rather than answering the statement: mysql2's fatal
 * errors (the server closed the connection, a reset), a PostgreSQL FATAL (the backend process was
 * terminated), or a driver error that no server sent. A statement that met one was not applied by
 * the server as an answer we saw, and can be sent again on another connection when sending it twice
 * is harmless (a fenced write). Timeouts are not: the server may still be working on it.
 * @internal
 */
export function connectionLost(e: unknown): boolean {
  const x = e as { fatal?: unknown; severity?: unknown; sqlState?: unknown; code?: unknown } | null;
  if (!x || typeof x !== 'object') return false;
  if (x.fatal === true) return true;
  if (typeof x.severity === 'string') return x.severity === 'FATAL' || x.severity === 'PANIC';
  if (x.sqlState !== undefined) return false;
  return e instanceof Error && /connection|terminated|ECONNRESET|EPIPE|closed state|not queryable/i.test(`${String(x.code)} ${e.message}`);
}
