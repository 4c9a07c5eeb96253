import type { Dialect, SqlStatements } from './dialect';

const q = (id: string) => `"${id}"`;

/**
 * SQLite (better-sqlite3, or knex with better-sqlite3/sqlite3). Needs SQLite 3.35 or later
 * (upserts with `RETURNING`). Locks are lease rows (see sqlite-lease.ts).
 * @internal
 */
export const sqlite: Dialect = {
  name: 'sqlite',
  locking: 'lease',
  createTable: (table) => [
    `CREATE TABLE IF NOT EXISTS ${q(table)} (id TEXT NOT NULL PRIMARY KEY, job_name TEXT NOT NULL, data TEXT, holder TEXT, expires_at INTEGER, updated_at INTEGER NOT NULL)`,
  ],
  statements(table): SqlStatements {
    const t = q(table);
    return {
      upsert: `INSERT INTO ${t} (id, job_name, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
      fencedUpsert:
        `INSERT INTO ${t} (id, job_name, data, updated_at) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM ${t} WHERE id = ? AND holder = ?) ` +
        `ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at RETURNING id`,
      load: `SELECT data FROM ${t} WHERE id = ?`,
      exists: `SELECT 1 FROM ${t} WHERE id = ?`,
      list: `SELECT job_name FROM ${t} WHERE id LIKE 'job:%'`,
      lockRow: `INSERT INTO ${t} (id, job_name, holder, expires_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
      leaseTake:
        `INSERT INTO ${t} (id, job_name, holder, expires_at, updated_at) VALUES (?, ?, ?, ?, ?) ` +
        `ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, updated_at = excluded.updated_at ` +
        `WHERE ${t}.holder = ? AND ${t}.expires_at < ?`,
      leaseRenew: `UPDATE ${t} SET expires_at = ? WHERE id = ? AND holder = ? RETURNING id`,
      lockHolder: `SELECT holder, expires_at FROM ${t} WHERE id = ?`,
      unlockRow: `DELETE FROM ${t} WHERE id = ? AND holder = ?`,
      recordInsert: `INSERT INTO ${t} (id, job_name, data, updated_at) VALUES (?, ?, ?, ?)`,
      recordList: `SELECT id, data FROM ${t} WHERE id LIKE ? ORDER BY updated_at, id`,
      recordDeleteAll: `DELETE FROM ${t} WHERE id = ? OR id LIKE ?`,
      // SQLite serializes writers: the check and the write are one atomic statement
      fencedDelete: `DELETE FROM ${t} WHERE EXISTS (SELECT 1 FROM ${t} WHERE id = ? AND holder = ?) AND (id = ? OR id LIKE ?) RETURNING 1`,
      recordDeleteIn: `DELETE FROM ${t} WHERE id IN `,
    };
  },
};
