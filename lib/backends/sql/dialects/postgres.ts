import { createHash } from 'node:crypto';
import type { Dialect, SqlStatements } from './dialect';

const q = (id: string) => `"${id}"`;

/**
 * PostgreSQL. Checkpoints are TEXT (which cannot hold the character U+0000). Locks are
 * session-level advisory locks (`pg_try_advisory_lock(int8)`) on the connection a run holds; the key
 * hashes the schema, the table and the job (advisory locks are per database already).
 * @internal
 */
export const postgres: Dialect = {
  name: 'postgres',
  locking: 'session',
  createTable: (table) => [
    `CREATE TABLE IF NOT EXISTS ${q(table)} (id VARCHAR(80) NOT NULL PRIMARY KEY, job_name TEXT NOT NULL, data TEXT, holder TEXT, expires_at BIGINT, updated_at BIGINT NOT NULL)`,
  ],
  statements(table): SqlStatements {
    const t = q(table);
    return {
      upsert: `INSERT INTO ${t} (id, job_name, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`,
      // FOR SHARE: in READ COMMITTED a takeover being committed is waited for, then the row re-read
      fencedUpsert:
        `INSERT INTO ${t} (id, job_name, data, updated_at) SELECT CAST(? AS VARCHAR(80)), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT) ` +
        `WHERE EXISTS (SELECT 1 FROM ${t} WHERE id = ? AND holder = ? FOR SHARE) ` +
        'ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at RETURNING 1',
      fencedDelete: `DELETE FROM ${t} WHERE EXISTS (SELECT 1 FROM ${t} AS l WHERE l.id = ? AND l.holder = ? FOR SHARE) AND (id = ? OR id LIKE ?) RETURNING 1`,
      load: `SELECT data FROM ${t} WHERE id = ?`,
      exists: `SELECT 1 FROM ${t} WHERE id = ?`,
      list: `SELECT job_name FROM ${t} WHERE id LIKE 'job:%'`,
      lockRow: `INSERT INTO ${t} (id, job_name, holder, expires_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at`,
      lockHolder: `SELECT holder, expires_at FROM ${t} WHERE id = ?`,
      unlockRow: `DELETE FROM ${t} WHERE id = ? AND holder = ?`,
      recordInsert: `INSERT INTO ${t} (id, job_name, data, updated_at) VALUES (?, ?, ?, ?)`,
      recordList: `SELECT id, data FROM ${t} WHERE id LIKE ? ORDER BY updated_at, id`,
      // the two-int4 advisory key space never meets the int8 one of the job locks
      recordInsertGuarded:
        `INSERT INTO ${t} (id, job_name, data, updated_at) SELECT CAST(? AS VARCHAR(80)), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT) ` +
        'FROM (SELECT pg_advisory_xact_lock_shared(CAST(? AS integer), CAST(? AS integer))) AS guard',
      recordSettle: 'SELECT pg_advisory_xact_lock(CAST(? AS integer), CAST(? AS integer))',
      recordDeleteAll: `DELETE FROM ${t} WHERE id = ? OR id LIKE ?`,
      recordDeleteIn: `DELETE FROM ${t} WHERE id IN `,
    };
  },
  scopeQuery: 'SELECT current_schema()',
  lockKey: (scope, table, jobName) => {
    const h = createHash('sha256').update(`${scope}\0${table}\0`).update(Buffer.from(jobName, 'utf16le')).digest();
    return h.readBigInt64BE(0).toString();
  },
  tryLock: 'SELECT pg_try_advisory_lock(CAST(? AS bigint))',
  unlock: 'SELECT pg_advisory_unlock(CAST(? AS bigint))',
};
