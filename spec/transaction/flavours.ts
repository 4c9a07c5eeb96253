/**
 * Every kind of connection the transaction adapters support, against the real test servers
 * (MariaDB, PostgreSQL) and SQLite files in temp dirs: how to make one, how to write a row through
 * the handle `tx.of()` hands out, and how to count committed rows from an independent connection.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import knexFactory, { type Knex } from 'knex';
import Database from 'better-sqlite3';
import { testServers } from '../setup/servers';
import { tempDir } from '../helpers';

export type Engine = 'mysql' | 'postgres' | 'sqlite';

/** A hand-written driver wrapper with beginTransaction/commit/rollback (the duck-typed adapter's case). */
export class PgSession {
  constructor(readonly client: pg.Client) {}
  beginTransaction(): Promise<unknown> {
    return this.client.query('BEGIN');
  }
  commit(): Promise<unknown> {
    return this.client.query('COMMIT');
  }
  rollback(): Promise<unknown> {
    return this.client.query('ROLLBACK');
  }
  query(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    return this.client.query(sql, params);
  }
}

export interface Flavour {
  name: string;
  engine: Engine;
  /** the participant */
  conn: unknown;
  /** the handle tx.of() should give: 'same' (the connection itself), or what kind of object */
  handleKind: 'same' | 'knex-trx' | 'mysql-pool-conn' | 'mysql-promise-pool-conn' | 'pg-pool-client';
  /** a single connection (transactions on it queue) */
  single: boolean;
  /** inserts a row through a handle */
  insert(handle: any, table: string, id: number): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;
const RUN = randomBytes(3).toString('hex'); // test files in one jest worker share its pid, not this module
/** A fresh table name. */
export function tableName(prefix = 't'): string {
  return `${prefix}_${process.pid}_${RUN}_${++seq}`;
}

function cbQuery(c: { query(sql: string, params: unknown[], cb: (e: Error | null) => void): unknown }, sql: string, params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => c.query(sql, params, (e) => (e ? reject(e) : resolve())));
}

/** Independent access to the servers for setup and checks. */
export class Checker {
  readonly mysql: mysqlPromise.Pool;
  readonly pg: pg.Pool;
  readonly sqliteDir: string;
  readonly sqliteFile: string;
  constructor() {
    const s = testServers();
    this.mysql = mysqlPromise.createPool({ uri: s.mysqlUrl, connectionLimit: 4 });
    this.pg = new pg.Pool({ connectionString: s.postgresUrl, max: 4 });
    this.sqliteDir = tempDir('safe-state-tx-');
    this.sqliteFile = path.join(this.sqliteDir, 'db.sqlite');
  }
  async createTable(engine: Engine, table: string, extra = ''): Promise<void> {
    if (engine === 'mysql') await this.mysql.query(`CREATE TABLE ${table} (id INT PRIMARY KEY${extra}) ENGINE=InnoDB`);
    else if (engine === 'postgres') await this.pg.query(`CREATE TABLE ${table} (id INT PRIMARY KEY${extra})`);
    else this.sqlite((db) => db.exec(`CREATE TABLE ${table} (id INT PRIMARY KEY${extra})`));
  }
  async ids(engine: Engine, table: string): Promise<number[]> {
    if (engine === 'mysql') return ((await this.mysql.query(`SELECT id FROM ${table} ORDER BY id`))[0] as { id: number }[]).map((r) => r.id);
    if (engine === 'postgres') return (await this.pg.query(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id);
    return this.sqlite((db) => (db.prepare(`SELECT id FROM ${table} ORDER BY id`).all() as { id: number }[]).map((r) => r.id));
  }
  sqlite<T>(fn: (db: Database.Database) => T): T {
    const db = new Database(this.sqliteFile);
    try {
      db.pragma('busy_timeout = 5000');
      return fn(db);
    } finally {
      db.close();
    }
  }
  /** safe-state's prepared transactions left on the servers */
  async prepared(): Promise<{ mysql: string[]; postgres: string[] }> {
    const [rows] = (await this.mysql.query('XA RECOVER')) as unknown as [{ data: Buffer | string; gtrid_length: number }[]];
    const my = rows.map((r) => String(r.data).slice(0, Number(r.gtrid_length))).filter((x) => x.startsWith('ss2pc-'));
    const pgRows = (await this.pg.query(`SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'ss2pc-%'`)).rows.map((r) => String(r.gid));
    return { mysql: my, postgres: pgRows };
  }
  async close(): Promise<void> {
    await this.mysql.end();
    await this.pg.end();
    fs.rmSync(this.sqliteDir, { recursive: true, force: true });
  }
}

/** Makes one connection of every supported kind. */
export async function makeFlavours(checker: Checker): Promise<Flavour[]> {
  const s = testServers();
  const out: Flavour[] = [];

  const cbConn = mysql.createConnection(s.mysqlUrl);
  await new Promise<void>((res, rej) => cbConn.connect((e) => (e ? rej(e) : res())));
  out.push({ name: 'mysql2 callback connection', engine: 'mysql', conn: cbConn, handleKind: 'same', single: true, insert: (h, t, id) => cbQuery(h, `INSERT INTO ${t} (id) VALUES (?)`, [id]), close: () => new Promise((r) => cbConn.end(() => r())) });

  const pConn = await mysqlPromise.createConnection(s.mysqlUrl);
  out.push({ name: 'mysql2 promise connection', engine: 'mysql', conn: pConn, handleKind: 'same', single: true, insert: async (h, t, id) => void (await h.query(`INSERT INTO ${t} (id) VALUES (?)`, [id])), close: () => pConn.end() });

  const cbPool = mysql.createPool({ uri: s.mysqlUrl, connectionLimit: 4 });
  out.push({ name: 'mysql2 callback pool', engine: 'mysql', conn: cbPool, handleKind: 'mysql-pool-conn', single: false, insert: (h, t, id) => cbQuery(h, `INSERT INTO ${t} (id) VALUES (?)`, [id]), close: () => new Promise((r) => cbPool.end(() => r())) });

  const pPool = mysqlPromise.createPool({ uri: s.mysqlUrl, connectionLimit: 4 });
  out.push({ name: 'mysql2 promise pool', engine: 'mysql', conn: pPool, handleKind: 'mysql-promise-pool-conn', single: false, insert: async (h, t, id) => void (await h.query(`INSERT INTO ${t} (id) VALUES (?)`, [id])), close: () => pPool.end() });

  const knexInsert = async (h: Knex.Transaction, t: string, id: number) => void (await h(t).insert({ id }));
  const kMy = knexFactory({ client: 'mysql2', connection: s.mysqlUrl, pool: { min: 0, max: 4 } });
  out.push({ name: 'knex (mysql2)', engine: 'mysql', conn: kMy, handleKind: 'knex-trx', single: false, insert: knexInsert, close: () => kMy.destroy() });
  const kPg = knexFactory({ client: 'pg', connection: s.postgresUrl, pool: { min: 0, max: 4 } });
  out.push({ name: 'knex (pg)', engine: 'postgres', conn: kPg, handleKind: 'knex-trx', single: false, insert: knexInsert, close: () => kPg.destroy() });
  const kSq = knexFactory({ client: 'better-sqlite3', connection: { filename: checker.sqliteFile }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  out.push({ name: 'knex (better-sqlite3)', engine: 'sqlite', conn: kSq, handleKind: 'knex-trx', single: false, insert: knexInsert, close: () => kSq.destroy() });

  const db = new Database(checker.sqliteFile);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  out.push({ name: 'better-sqlite3', engine: 'sqlite', conn: db, handleKind: 'same', single: true, insert: async (h, t, id) => void h.prepare(`INSERT INTO ${t} (id) VALUES (?)`).run(id), close: async () => void db.close() });

  const client = new pg.Client(s.postgresUrl);
  await client.connect();
  const pgInsert = async (h: pg.ClientBase, t: string, id: number) => void (await h.query(`INSERT INTO ${t} (id) VALUES ($1)`, [id]));
  out.push({ name: 'pg client', engine: 'postgres', conn: client, handleKind: 'same', single: true, insert: pgInsert, close: () => client.end() });
  const pool = new pg.Pool({ connectionString: s.postgresUrl, max: 4 });
  out.push({ name: 'pg pool', engine: 'postgres', conn: pool, handleKind: 'pg-pool-client', single: false, insert: pgInsert, close: () => pool.end() });

  const duckClient = new pg.Client(s.postgresUrl);
  await duckClient.connect();
  const duck = new PgSession(duckClient);
  out.push({ name: 'duck-typed (beginTransaction/commit/rollback)', engine: 'postgres', conn: duck, handleKind: 'same', single: true, insert: async (h: PgSession, t, id) => void (await h.query(`INSERT INTO ${t} (id) VALUES ($1)`, [id])), close: () => duckClient.end() });
  return out;
}
