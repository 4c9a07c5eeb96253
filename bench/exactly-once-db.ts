/**
 * The databases of the exactly-once soak: opening a connection (SQLite file, MariaDB/MySQL pool,
 * PostgreSQL pool) and the few statements the soak needs, per dialect. Drivers are loaded only
 * when a database of theirs is opened.
 */
export type SoakDialect = 'sqlite' | 'mysql' | 'postgres';

export interface SoakDatabase {
  /** the connection or pool: a transaction participant and the SqlBackend's connection */
  readonly conn: object;
  /** inserts the effect row of `item` through `handle` (the transaction's `tx.of(conn)`) */
  insertEffect(handle: unknown, table: string, item: number): Promise<void>;
  /** runs a statement outside any transaction; `?` placeholders */
  query(sql: string, params?: unknown[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

type PromiseQueryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

export function openSoakDatabase(dialect: SoakDialect, where: string): SoakDatabase {
  if (dialect === 'sqlite') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(where);
    db.pragma('busy_timeout = 5000');
    return {
      conn: db,
      insertEffect: async (h, table, item) => void (h as typeof db).prepare(`INSERT INTO ${table} (item) VALUES (?)`).run(item),
      query: async (sql, params = []) => {
        const st = db.prepare(sql);
        if (!st.reader) {
          st.run(...params);
          return [];
        }
        return st.raw(true).all(...params) as unknown[][];
      },
      close: async () => void db.close(),
    };
  }
  if (dialect === 'mysql') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
    const pool = mysql.createPool({ uri: where, connectionLimit: 6 });
    // a connection that loses its server emits 'error': the query that needed it rejects, and the
    // event alone must not end the soak
    pool.on('connection', (c) => (c as unknown as NodeJS.EventEmitter).on('error', () => undefined));
    return {
      conn: pool,
      insertEffect: async (h, table, item) => void (await (h as PromiseQueryable).query(`INSERT INTO ${table} (item) VALUES (?)`, [item])),
      query: async (sql, params = []) => {
        const [rows] = await pool.query({ sql, rowsAsArray: true }, params);
        return Array.isArray(rows) ? (rows as unknown[][]) : [];
      },
      close: () => pool.end(),
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  const pool = new pg.Pool({ connectionString: where, max: 6 });
  pool.on('error', () => undefined);
  const dollar = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    conn: pool,
    insertEffect: async (h, table, item) => void (await (h as PromiseQueryable).query(`INSERT INTO ${table} (item) VALUES ($1)`, [item])),
    query: async (sql, params = []) => (await pool.query({ text: dollar(sql), values: params, rowMode: 'array' })).rows as unknown[][],
    close: () => pool.end(),
  };
}
