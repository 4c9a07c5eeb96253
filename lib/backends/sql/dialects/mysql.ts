import { createHash } from 'node:crypto';
import type { Dialect, SqlStatements } from './dialect';

const q = (id: string) => '`' + id + '`';

/**
 * MySQL and MariaDB. Text columns are utf8mb4 with binary collation (exact, case-sensitive); the
 * checkpoint is a LONGTEXT (a single save must fit the server's `max_allowed_packet`, 16 MiB by
 * default on MariaDB, 64 MiB on MySQL 8). Locks are `GET_LOCK` on the connection a run holds; the
 * lock name hashes the database, the table and the job (GET_LOCK names are server-wide, at most 64
 * characters).
 * @internal
 */
export const mysql: Dialect = {
  name: 'mysql',
  locking: 'session',
  createTable: (table) => [
    `CREATE TABLE IF NOT EXISTS ${q(table)} (` +
      `id VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY, ` +
      `job_name TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ` +
      `data LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, ` +
      `holder TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, ` +
      `expires_at BIGINT NULL, updated_at BIGINT NOT NULL) ENGINE=InnoDB`,
  ],
  statements(table): SqlStatements {
    const t = q(table);
    return {
      upsert: `INSERT INTO ${t} (id, job_name, data, updated_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE data = VALUES(data), updated_at = VALUES(updated_at)`,
      // the lock row is read with a shared lock (whatever the session's isolation level): a takeover
      // being committed is waited for, then seen
      fencedUpsert:
        `INSERT INTO ${t} (id, job_name, data, updated_at) SELECT ?, ?, ?, ? FROM DUAL WHERE EXISTS (SELECT 1 FROM ${t} WHERE id = ? AND holder = ? LOCK IN SHARE MODE) ` +
        'ON DUPLICATE KEY UPDATE data = VALUES(data), updated_at = VALUES(updated_at)',
      // a multi-table DELETE (a subquery may not read the table a DELETE deletes from, error 1093)
      fencedDelete: `DELETE c FROM ${t} AS c JOIN ${t} AS l ON l.id = ? AND l.holder = ? WHERE c.id = ? OR c.id LIKE ?`,
      load: `SELECT data FROM ${t} WHERE id = ?`,
      exists: `SELECT 1 FROM ${t} WHERE id = ?`,
      list: `SELECT job_name FROM ${t} WHERE id LIKE 'job:%'`,
      lockRow: `INSERT INTO ${t} (id, job_name, holder, expires_at, updated_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE holder = VALUES(holder), expires_at = VALUES(expires_at), updated_at = VALUES(updated_at)`,
      lockHolder: `SELECT holder, expires_at FROM ${t} WHERE id = ?`,
      unlockRow: `DELETE FROM ${t} WHERE id = ? AND holder = ?`,
      recordInsert: `INSERT INTO ${t} (id, job_name, data, updated_at) VALUES (?, ?, ?, ?)`,
      recordList: `SELECT id, data FROM ${t} WHERE id LIKE ? ORDER BY updated_at, id`,
      recordListSettled: `SELECT id, data FROM ${t} WHERE id LIKE ? ORDER BY updated_at, id LOCK IN SHARE MODE`,
      recordDeleteAll: `DELETE FROM ${t} WHERE id = ? OR id LIKE ?`,
      recordDeleteIn: `DELETE FROM ${t} WHERE id IN `,
    };
  },
  scopeQuery: 'SELECT DATABASE()',
  lockKey: (scope, table, jobName) =>
    'safe-state:' + createHash('sha256').update(`${scope}\0${table}\0`).update(Buffer.from(jobName, 'utf16le')).digest('hex').slice(0, 40),
  tryLock: 'SELECT GET_LOCK(?, 0)',
  unlock: 'SELECT RELEASE_LOCK(?)',
};
