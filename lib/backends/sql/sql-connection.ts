/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The connections {@link SqlBackend} accepts, described structurally so that safe-state never
 * imports a database driver (they are optional peer dependencies): the objects you already have
 * satisfy these shapes.
 */

/**
 * A better-sqlite3 `Database`.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * const db: BetterSqlite3DatabaseLike = new Database('jobs.db');
 * ```
 */
export interface BetterSqlite3DatabaseLike {
  /** Compiles a statement. */
  prepare(source: string): unknown;
  /** Runs SQL text. */
  exec(source: string): unknown;
  /** Runs a pragma. */
  pragma(source: string, options?: any): unknown;
  /** Wraps a function in a transaction. */
  transaction(fn: (...args: any[]) => any): any;
}

/**
 * A mysql2 connection or pool, with the callback API (`mysql2`) or the promise API
 * (`mysql2/promise`), or a mysql connection handed out by knex.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * const pool: Mysql2ConnectionLike = mysql.createPool(process.env.MYSQL_URL!);
 * ```
 */
export interface Mysql2ConnectionLike {
  /** Runs a text query. */
  query(...args: any[]): any;
  /** Runs a prepared statement. */
  execute(...args: any[]): any;
}

/**
 * A node-postgres (`pg`) `Client` or `Pool`.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg';
 * const pool: PgConnectionLike = new Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgConnectionLike {
  /** Runs a query. */
  query(...args: any[]): any;
  /** Connects (a `Client`) or checks a client out (a `Pool`). */
  connect(...args: any[]): any;
}

/**
 * A knex instance (`knex({ client: 'better-sqlite3' | 'mysql2' | 'pg', … })`).
 *
 * @example
 * ```ts
 * import knex from 'knex';
 * const db: KnexLike = knex({ client: 'pg', connection: process.env.DATABASE_URL });
 * ```
 */
export interface KnexLike {
  /** Runs raw SQL with `?` bindings. */
  raw(...args: any[]): any;
  /** The knex client (its `config.client` names the driver). */
  readonly client: any;
}

/**
 * Anything {@link SqlBackend} can use: a better-sqlite3 database, a mysql2 connection or pool, a
 * pg client or pool, or a knex instance.
 *
 * @example
 * ```ts
 * const conn: SqlConnection = new Database('jobs.db');
 * const backend = new SqlBackend(conn);
 * ```
 */
export type SqlConnection = BetterSqlite3DatabaseLike | Mysql2ConnectionLike | PgConnectionLike | KnexLike;
