import type { AdapterTransaction, TransactionAdapter } from '../adapter';

/**
 * better-sqlite3 databases. Its own `db.transaction(fn)` refuses async functions, so transactions
 * are opened by hand: `BEGIN IMMEDIATE` (the write lock is taken up front, so two processes writing
 * the same file wait for each other instead of failing halfway with SQLITE_BUSY; `BEGIN` on a
 * read-only database), `COMMIT`, `ROLLBACK`. On a database that is already inside a transaction the
 * user opened, the transaction is a savepoint of it.
 *
 * SQLite rolls a transaction back by itself after some errors (SQLITE_FULL, SQLITE_IOERR, ...):
 * committing a transaction that is no longer open is an error, never a silent success.
 * SQLite cannot prepare a transaction, so it cannot take part in `twoPhase`.
 */

interface Sqlite {
  exec(sql: string): unknown;
  prepare: unknown;
  pragma: unknown;
  inTransaction: boolean;
  readonly?: boolean;
  name?: string;
  memory?: boolean;
  open?: boolean;
}

function isSqlite(v: unknown): v is Sqlite {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.exec === 'function' && typeof o.prepare === 'function' && typeof o.pragma === 'function' && typeof o.inTransaction === 'boolean';
}

let savepoints = 0;

async function begin(db: Sqlite): Promise<AdapterTransaction> {
  const savepoint = db.inTransaction ? `safe_state_sp_${++savepoints}` : null;
  db.exec(savepoint ? `SAVEPOINT ${savepoint}` : db.readonly ? 'BEGIN' : 'BEGIN IMMEDIATE');
  let ended = false;
  return {
    handle: db,
    async commit() {
      if (ended) throw new Error('better-sqlite3 transaction already ended');
      if (!db.inTransaction) {
        ended = true;
        throw new Error('the SQLite transaction is no longer open: SQLite rolled it back after an error, or it was ended outside safe-state');
      }
      db.exec(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : 'COMMIT');
      ended = true;
    },
    async rollback() {
      if (ended) return;
      ended = true;
      if (!db.inTransaction) return; // rolled back already
      if (savepoint) db.exec(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`);
      else db.exec('ROLLBACK');
    },
  };
}

/** The built-in better-sqlite3 adapter. @internal */
export const betterSqlite3Adapter: TransactionAdapter<Sqlite> = {
  name: 'better-sqlite3',
  matches: isSqlite,
  begin: (db) => begin(db),
  describe: (db) => `better-sqlite3 ${db.memory ? ':memory:' : (db.name ?? 'database')}`,
  exclusive: (db) => db,
};
