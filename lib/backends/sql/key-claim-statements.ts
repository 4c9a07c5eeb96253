import type { SqlDialect } from './sql-options';
import { NOW } from './chunk-statements';

/**
 * SQL of per-key idempotency claims (see sql-key-claims.ts). One table beside the checkpoint
 * table, `<table>_keys`, one row per key: `id` (sha256 of the store name and the key, hex: any key
 * fits an index), `store_id` (sha256 of the store name: `clear` deletes by it), `k` (the key as JSON, for
 * inspection), `holder` (the token of the claim that holds, or held and recorded, the row), `state`
 * (0 claimed, 1 recorded), `lease_until` (claim expiry), `expires` (record expiry, 0 never), `value`
 * (the recorded text). Times are the database server's (`NOW`), in ms. Statements use `?`.
 * @internal
 */
export interface KeyClaimStatements {
  createTable: string[];
  /**
   * Whether `insert`, `takeover`, `renew` and the records answer the row they changed
   * (`RETURNING holder`, PostgreSQL): one row when the statement claimed, renewed or recorded, none
   * when its condition did not hold. The caller then needs no read-back of the row. Elsewhere
   * (MySQL/MariaDB: no `UPDATE ... RETURNING`; SQLite: statements are in-process) they answer
   * nothing, and the row is read back.
   */
  returning: boolean;
  /** params: id, store_id, k, token, lease ms (inserts a claim when the key has no row) */
  insert: string;
  /** params: token, lease ms, id (takes a lapsed claim or an expired record over) */
  takeover: string;
  /** params: id → rows [[holder, state, value, expires, lease_until, now]] */
  row: string;
  /** params: lease ms, id, token */
  renew: string;
  /** params: value, id, token (the record never expires) */
  recordForever: string;
  /** params: value, ttl ms, id, token */
  recordTtl: string;
  /** params: id, token */
  release: string;
  /** params: id, store_id, k, value (a mark that never expires) */
  putForever: string;
  /** params: id, store_id, k, ttl ms, value */
  putTtl: string;
  /** params: id → rows [[value]] of a live record */
  read: string;
  /** params: id (deletes a record) */
  remove: string;
  /** params: store_id */
  clear: string;
}

/** The key table of a checkpoint table (a plain identifier of at most 63 characters). @internal */
export function keyTableOf(table: string): string {
  return `${table.slice(0, 58)}_keys`;
}

/** @internal */
export function keyClaimStatements(dialect: SqlDialect, table: string): KeyClaimStatements {
  const my = dialect === 'mysql';
  const q = (id: string) => (my ? '`' + id + '`' : `"${id}"`);
  const t = q(table);
  const now = NOW[dialect];
  const ttl = my ? 'CAST(? AS SIGNED)' : 'CAST(? AS BIGINT)';
  const cols = '(id, store_id, k, holder, state, lease_until, expires, value)';
  const upsert = my
    ? ' ON DUPLICATE KEY UPDATE holder = NULL, state = 1, lease_until = 0, expires = VALUES(expires), value = VALUES(value)'
    : ' ON CONFLICT (id) DO UPDATE SET holder = NULL, state = 1, lease_until = 0, expires = EXCLUDED.expires, value = EXCLUDED.value';
  const ddl = my
    ? [
        `CREATE TABLE IF NOT EXISTS ${t} (id CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, ` +
          `store_id CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, k LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ` +
          `holder VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL, state SMALLINT NOT NULL, lease_until BIGINT NOT NULL, ` +
          `expires BIGINT NOT NULL, value LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, ` +
          `PRIMARY KEY (id), KEY store_keys (store_id)) ENGINE=InnoDB`,
      ]
    : [
        `CREATE TABLE IF NOT EXISTS ${t} (id VARCHAR(64) NOT NULL PRIMARY KEY, store_id VARCHAR(64) NOT NULL, k TEXT NOT NULL, ` +
          `holder VARCHAR(40), state SMALLINT NOT NULL, lease_until BIGINT NOT NULL, expires BIGINT NOT NULL, value TEXT)`,
        `CREATE INDEX IF NOT EXISTS ${q(table.slice(0, 57) + '_store')} ON ${t} (store_id)`,
      ];
  const returning = dialect === 'postgres';
  const answer = returning ? ' RETURNING holder' : '';
  const record = (expires: string) => `UPDATE ${t} SET state = 1, value = ?, expires = ${expires} WHERE id = ? AND holder = ? AND state = 0${answer}`;
  return {
    createTable: ddl,
    returning,
    insert: `INSERT INTO ${t} ${cols} VALUES (?, ?, ?, ?, 0, ${now} + ?, 0, NULL)` + (my ? ' ON DUPLICATE KEY UPDATE id = id' : ' ON CONFLICT (id) DO NOTHING') + answer,
    takeover:
      `UPDATE ${t} SET holder = ?, state = 0, lease_until = ${now} + ?, expires = 0, value = NULL WHERE id = ? AND ` +
      `((state = 0 AND lease_until < ${now}) OR (state = 1 AND expires <> 0 AND expires <= ${now}))${answer}`,
    row: `SELECT holder, state, value, expires, lease_until, ${now} FROM ${t} WHERE id = ?`,
    renew: `UPDATE ${t} SET lease_until = ${now} + ? WHERE id = ? AND holder = ? AND state = 0${answer}`,
    recordForever: record('0'),
    recordTtl: record(`${now} + ${ttl}`),
    release: `DELETE FROM ${t} WHERE id = ? AND holder = ? AND state = 0`,
    putForever: `INSERT INTO ${t} ${cols} VALUES (?, ?, ?, NULL, 1, 0, 0, ?)${upsert}`,
    putTtl: `INSERT INTO ${t} ${cols} VALUES (?, ?, ?, NULL, 1, 0, ${now} + ${ttl}, ?)${upsert}`,
    read: `SELECT value FROM ${t} WHERE id = ? AND state = 1 AND (expires = 0 OR expires > ${now})`,
    remove: `DELETE FROM ${t} WHERE id = ? AND state = 1`,
    clear: `DELETE FROM ${t} WHERE store_id = ?`,
  };
}
