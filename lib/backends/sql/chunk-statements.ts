import type { SqlDialect } from './sql-options';

/**
 * SQL of shared jobs (see sql-chunks.ts). One table beside the checkpoint table, `<table>_chunks`:
 * one row per chunk (`chunk` >= 0) and one row for the job itself (`chunk` = -1), keyed by
 * (`job_id`, `chunk`). Columns: `job_name`; `state` (0 open, 1 done; the job row: 1 = complete);
 * `lease_token` (the holder's token; `done:<token>` once completed); `lease_until` (lease expiry
 * in ms of the server's clock; the job row: the end of the retention of a completed job); `done`
 * (the done offsets of the chunk, `,a,b,c`; the job row: the layout as JSON); `runs`, `failure`
 * (job row); `updated_at`. Times come from the database server (`NOW` below), so the workers'
 * clocks do not matter. Statements use `?` placeholders.
 * @internal
 */
export interface ChunkStatements {
  createTable: string[];
  /** params: job → rows [[state, lease_until, done, runs, failure, updated_at, now]] */
  jobRow: string;
  /** params: job id, job name, state, lease_until, layout JSON (inserts when missing) */
  insertJob: string;
  /** multi-row insert of chunk rows when missing: `rows` rows of params (job id, job name, chunk) */
  insertChunks(rows: number): string;
  /** params: job */
  countRun: string;
  /** params: job → rows [[number of chunk rows]] */
  countChunks: string;
  /** params: job */
  deleteJob: string;
  /** params: token, lease ms, job (, job again when `claimRepeatsJob`) */
  claim: string;
  claimRepeatsJob: boolean;
  /** params: job, token → rows [[chunk, done]] */
  claimed: string;
  /** params: job → rows [[min lease_until, count, now]] of open chunks */
  openChunks: string;
  /** params: offsets text, lease ms, job, chunk, token (→ rows [[chunk]] with RETURNING) */
  mark: string;
  /** params: lease ms, job, chunk, token */
  renew: string;
  /** params: 'done:' + token, job, chunk, token */
  complete: string;
  /** params: job, chunk → rows [[lease_token]] (checking a write where there is no RETURNING) */
  tokenOf: string;
  /** params: job → rows [[1]] when an open chunk remains */
  anyOpen: string;
  /** params: retention ms, job */
  completeJob: string;
  /** params: job, chunk, token */
  release: string;
  /** params: failure JSON, job */
  failure: string;
  /** params: job → rows [[chunk, state, done]] */
  chunks: string;
  /** → rows [[job_name]] of the jobs not past their retention */
  list: string;
  /** whether UPDATE … RETURNING answers the written rows (else a write is checked with `tokenOf`) */
  returning: boolean;
}

/** The database server's clock in ms since the epoch, per dialect. @internal */
export const NOW: Record<SqlDialect, string> = {
  mysql: 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)',
  postgres: 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)',
  sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
};

/** The chunk table of a checkpoint table (a plain identifier of at most 63 characters). @internal */
export function chunkTableOf(table: string): string {
  return `${table.slice(0, 56)}_chunks`;
}

/** @internal */
export function chunkStatements(dialect: SqlDialect, table: string): ChunkStatements {
  const my = dialect === 'mysql';
  const q = (id: string) => (my ? '`' + id + '`' : `"${id}"`);
  const t = q(table);
  const now = NOW[dialect];
  const returning = !my;
  const ret = returning ? ' RETURNING chunk' : '';
  const ignore = my ? ' ON DUPLICATE KEY UPDATE job_id = job_id' : ' ON CONFLICT (job_id, chunk) DO NOTHING';
  const concat = my ? "CONCAT(COALESCE(done, ''), ?)" : "COALESCE(done, '') || ?";
  const ddl = my
    ? [
        `CREATE TABLE IF NOT EXISTS ${t} (job_id VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, ` +
          `job_name TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, chunk INT NOT NULL, state SMALLINT NOT NULL DEFAULT 0, ` +
          `lease_token VARCHAR(80) CHARACTER SET ascii COLLATE ascii_bin NULL, lease_until BIGINT NOT NULL DEFAULT 0, ` +
          `done LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, runs INT NOT NULL DEFAULT 0, ` +
          `failure LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, updated_at BIGINT NOT NULL, ` +
          `PRIMARY KEY (job_id, chunk), KEY open_chunks (job_id, state, chunk)) ENGINE=InnoDB`,
      ]
    : [
        `CREATE TABLE IF NOT EXISTS ${t} (job_id VARCHAR(80) NOT NULL, job_name TEXT NOT NULL, chunk INTEGER NOT NULL, ` +
          `state SMALLINT NOT NULL DEFAULT 0, lease_token VARCHAR(80), lease_until BIGINT NOT NULL DEFAULT 0, done TEXT, ` +
          `runs INTEGER NOT NULL DEFAULT 0, failure TEXT, updated_at BIGINT NOT NULL, PRIMARY KEY (job_id, chunk))`,
        `CREATE INDEX IF NOT EXISTS ${q(table.slice(0, 57) + '_open')} ON ${t} (job_id, state, chunk)`,
      ];
  const pick = `SELECT chunk FROM ${t} WHERE job_id = ? AND chunk >= 0 AND state = 0 AND lease_until < ${now} ORDER BY chunk LIMIT 1`;
  return {
    createTable: ddl,
    jobRow: `SELECT state, lease_until, done, runs, failure, updated_at, ${now} FROM ${t} WHERE job_id = ? AND chunk = -1`,
    insertJob: `INSERT INTO ${t} (job_id, job_name, chunk, state, lease_until, done, runs, updated_at) VALUES (?, ?, -1, ?, ?, ?, 0, ${now})${ignore}`,
    insertChunks: (rows) =>
      `INSERT INTO ${t} (job_id, job_name, chunk, state, lease_until, updated_at) VALUES ` +
      Array.from({ length: rows }, () => `(?, ?, ?, 0, 0, ${now})`).join(', ') +
      ignore,
    countRun: `UPDATE ${t} SET runs = runs + 1 WHERE job_id = ? AND chunk = -1`,
    countChunks: `SELECT COUNT(*) FROM ${t} WHERE job_id = ? AND chunk >= 0`,
    deleteJob: `DELETE FROM ${t} WHERE job_id = ?`,
    claim: my
      ? `UPDATE ${t} SET lease_token = ?, lease_until = ${now} + ?, updated_at = ${now} WHERE job_id = ? AND chunk >= 0 AND state = 0 AND lease_until < ${now} ORDER BY chunk LIMIT 1`
      : `UPDATE ${t} SET lease_token = ?, lease_until = ${now} + ?, updated_at = ${now} WHERE job_id = ? AND state = 0 AND lease_until < ${now} AND chunk = (${pick}${dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''})`,
    claimRepeatsJob: !my,
    claimed: `SELECT chunk, done FROM ${t} WHERE job_id = ? AND lease_token = ? AND chunk >= 0`,
    openChunks: `SELECT MIN(lease_until), COUNT(*), ${now} FROM ${t} WHERE job_id = ? AND chunk >= 0 AND state = 0`,
    mark: `UPDATE ${t} SET done = ${concat}, lease_until = ${now} + ? WHERE job_id = ? AND chunk = ? AND lease_token = ? AND state = 0${ret}`,
    renew: `UPDATE ${t} SET lease_until = ${now} + ? WHERE job_id = ? AND chunk = ? AND lease_token = ? AND state = 0${ret}`,
    complete: `UPDATE ${t} SET state = 1, lease_token = ?, updated_at = ${now} WHERE job_id = ? AND chunk = ? AND lease_token = ? AND state = 0${ret}`,
    tokenOf: `SELECT lease_token FROM ${t} WHERE job_id = ? AND chunk = ?`,
    anyOpen: `SELECT 1 FROM ${t} WHERE job_id = ? AND chunk >= 0 AND state = 0 LIMIT 1`,
    completeJob: `UPDATE ${t} SET state = 1, lease_until = ${now} + ?, updated_at = ${now} WHERE job_id = ? AND chunk = -1 AND state = 0`,
    release: `UPDATE ${t} SET lease_token = NULL, lease_until = 0 WHERE job_id = ? AND chunk = ? AND lease_token = ? AND state = 0`,
    failure: `UPDATE ${t} SET failure = ?, updated_at = ${now} WHERE job_id = ? AND chunk = -1`,
    chunks: `SELECT chunk, state, done FROM ${t} WHERE job_id = ? AND chunk >= 0 ORDER BY chunk`,
    list: `SELECT job_name FROM ${t} WHERE chunk = -1 AND (state = 0 OR lease_until >= ${now})`,
    returning,
  };
}
