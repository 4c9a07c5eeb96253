/**
 * The physical baselines of the server backends: one awaited round trip to the same server, over
 * the same connection the backend uses, measured in the same run (interleaved with the jobs).
 * A Redis `SET`; one autocommit upsert of a checkpoint-sized row, in the backend's own table.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Connection } from 'mysql2';
import type { Client } from 'pg';
import type { Database } from 'better-sqlite3';

const perOp = (t0: number, count: number) => ((performance.now() - t0) * 1000) / count;

/** The row the SQL baselines upsert: keyed and named like a job's row (a 68-character id). */
const ID = 'job:' + createHash('sha256').update('baseline').digest('hex');
const NAME = 'bench-sql-for-await';
/** The checkpoint text with its last characters varied per write, as the engine's saves vary. */
const vary = (data: string, i: number) => data.slice(0, data.length - 8) + String(i % 1e8).padStart(8, '0');

/** µs per awaited `SET` of a `bytes`-byte value (30: the size of a progress record). */
export async function redisSetUs(client: Redis, count: number, bytes = 30): Promise<number> {
  const value = 'x'.repeat(bytes);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await client.set('bench:baseline', value);
  return perOp(t0, count);
}

/** µs per awaited autocommit upsert on MySQL/MariaDB (a prepared statement, like the backend's). */
export async function mysqlUpsertUs(conn: Connection, table: string, count: number, data: string): Promise<number> {
  const sql = `INSERT INTO \`${table}\` (id, job_name, data, updated_at) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE data = VALUES(data), updated_at = VALUES(updated_at)`;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => conn.execute(sql, [ID, NAME, vary(data, i), Date.now()], (e) => (e ? reject(e) : resolve())));
  }
  return perOp(t0, count);
}

/** µs per awaited autocommit upsert on PostgreSQL (`client.query(text, values)`). */
export async function pgUpsertUs(client: Client, table: string, count: number, data: string): Promise<number> {
  const sql = `INSERT INTO "${table}" (id, job_name, data, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await client.query(sql, [ID, NAME, vary(data, i), Date.now()]);
  return perOp(t0, count);
}

/** µs per autocommit upsert on SQLite (a prepared better-sqlite3 statement; synchronous). */
export function sqliteUpsertUs(db: Database, table: string, count: number, data: string): number {
  const stmt = db.prepare(`INSERT INTO "${table}" (id, job_name, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) stmt.run(ID, NAME, vary(data, i), Date.now());
  return perOp(t0, count);
}
