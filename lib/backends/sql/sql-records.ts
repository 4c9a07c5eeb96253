import { createHash, randomBytes } from 'node:crypto';
import type { StoredRecord, TransactionalRecords } from '../transactional-records';
import type { Rows, SqlDriver } from './sql-driver';
import type { SqlStatements } from './dialects/dialect';
import { driverFor } from './detect-driver';
import { recordPattern } from './job-ids';

/** Two int4 keys of an entry's record guard (PostgreSQL advisory locks), from its table and name. */
function guardKeys(table: string, name: string): [number, number] {
  const h = createHash('sha256').update(`${table}\0`).update(Buffer.from(name, 'utf16le')).digest();
  return [h.readInt32BE(0), h.readInt32BE(4)];
}

/** Ids per `DELETE … IN (…)` statement. */
const DELETE_BATCH = 200;

/** How SqlRecords reaches the backend's own connection. @internal */
export interface RecordsHost {
  readonly driver: SqlDriver;
  readonly stmts: SqlStatements;
  readonly table: string;
  /** runs a statement of the backend (within its deadline, on its held session when there is one) */
  run(what: string, sql: string, params: unknown[], read?: boolean): Promise<Rows>;
  /** creates the table when missing */
  ensure(): Promise<void>;
}

/**
 * The transactional records of a {@link SqlBackend} (see transactional-records.ts): rows of the
 * checkpoint table with ids `rec:<h>:<random>`, inserted through the participant's transaction
 * handle, read and deleted through the backend's own connection.
 * @internal
 */
export class SqlRecords implements TransactionalRecords {
  constructor(private readonly host: RecordsHost) {}

  sharedParticipant(participants: readonly unknown[]): unknown {
    const mine = this.host.driver.identity;
    for (const p of participants) {
      if (p === mine) return p;
      try {
        if (driverFor(p).identity === mine) return p;
      } catch {
        /* not an SQL connection: not ours */
      }
    }
    return undefined;
  }

  async addRecord(participant: unknown, handle: unknown, name: string, record: string): Promise<void> {
    const id = recordPattern(name).slice(0, -1) + randomBytes(8).toString('hex');
    await this.host.ensure(); // before the transaction's statement: DDL inside it would commit it on MySQL
    const params = [id, name, record, Date.now()];
    const d = this.host.driver;
    // one connection answering synchronously (better-sqlite3): the transaction is on it already
    if (d.sync && participant === d.identity) {
      d.querySync!(this.host.stmts.recordInsert, params);
      return;
    }
    const { recordInsertGuarded, recordInsert } = this.host.stmts;
    if (recordInsertGuarded) await driverFor(handle).query(recordInsertGuarded, [...params, ...guardKeys(this.host.table, name)]);
    else await driverFor(handle).query(recordInsert, params);
  }

  async readRecords(name: string, settle = false): Promise<StoredRecord[]> {
    const what = `cannot read the records of '${name}'`;
    const { recordSettle, recordListSettled, recordList } = this.host.stmts;
    if (settle && recordSettle) await this.host.run(what, recordSettle, guardKeys(this.host.table, name), true);
    const rows = await this.host.run(what, settle && recordListSettled ? recordListSettled : recordList, [recordPattern(name)], true);
    return rows.map((r) => ({ id: String(r[0]), record: text(r[1]) }));
  }

  async deleteRecords(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += DELETE_BATCH) {
      const part = ids.slice(i, i + DELETE_BATCH);
      await this.host.run('cannot delete folded records', `${this.host.stmts.recordDeleteIn}(${part.map(() => '?').join(', ')})`, part);
    }
  }

  /**
   * Deletes the entry's row (id `rowId`) and all its records in one statement: a crash cannot leave
   * one without the other (records without their checkpoint would be stray; a checkpoint without the
   * records that complete it would run those items again).
   */
  async deleteWithRecords(rowId: string, name: string): Promise<void> {
    await this.host.run(`cannot delete '${name}'`, this.host.stmts.recordDeleteAll, [rowId, recordPattern(name)]);
  }
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}
