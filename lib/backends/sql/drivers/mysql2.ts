import type { SqlDriver, SqlSession, Rows } from '../sql-driver';
import { toRows } from '../sql-driver';

type Callback = (err: Error | null, rows?: unknown) => void;

/** The callback API of a mysql2 connection or pool (what the promise wrappers wrap). */
interface CoreConnection {
  query(options: object, values: unknown[], cb: Callback): unknown;
  execute?(options: object, values: unknown[], cb: Callback): unknown;
  getConnection?(cb: (err: Error | null, conn: PooledConnection) => void): void;
}

type PooledConnection = CoreConnection & {
  release(): void;
  destroy(): void;
  /** the socket (mysql2's `destroy()` only ends it: a hung server would keep it open) */
  stream?: { destroy?(): void };
  on(event: 'error', fn: (e: Error) => void): unknown;
  removeListener(event: 'error', fn: (e: Error) => void): unknown;
};

/** The callback-API object behind a mysql2 connection or pool, promise wrapper or not. */
function core(conn: object): CoreConnection {
  const c = conn as { connection?: { config?: unknown }; pool?: { config?: unknown } };
  if (c.connection && typeof c.connection === 'object' && c.connection.config) return c.connection as unknown as CoreConnection; // PromiseConnection
  if (c.pool && typeof c.pool === 'object' && c.pool.config) return c.pool as unknown as CoreConnection; // PromisePool
  return conn as CoreConnection;
}

/**
 * mysql2 (and the mysql driver inside knex): statements with parameters run as prepared
 * statements (`execute`, prepared once per connection), others as text queries. Rows are asked
 * for as arrays, whatever the connection's own `rowsAsArray` setting.
 * @internal
 */
export class Mysql2Driver implements SqlDriver {
  readonly name = 'mysql2';
  readonly dialect = 'mysql' as const;
  readonly sync = false;
  private readonly conn: CoreConnection;

  constructor(conn: object) {
    this.conn = core(conn);
  }

  get identity(): object {
    return this.conn;
  }

  /** Runs on `conn` (this driver's connection or pool, or a connection checked out of it). */
  private static run(conn: CoreConnection, sql: string, params: unknown[]): Promise<Rows> {
    return new Promise((resolve, reject) => {
      const cb: Callback = (err, rows) => (err ? reject(err) : resolve(toRows(rows)));
      const options = { sql, rowsAsArray: true };
      if (params.length > 0 && typeof conn.execute === 'function') conn.execute(options, params, cb);
      else conn.query(options, params, cb);
    });
  }

  query(sql: string, params: unknown[]): Promise<Rows> {
    return Mysql2Driver.run(this.conn, sql, params);
  }

  async session(): Promise<SqlSession> {
    const pool = this.conn;
    if (typeof pool.getConnection !== 'function') {
      return { query: (sql, params) => this.query(sql, params), release: async () => undefined };
    }
    const conn = await new Promise<PooledConnection>((resolve, reject) => pool.getConnection!((err, c) => (err ? reject(err) : resolve(c))));
    // a fatal error with no command waiting is emitted as an event: never leave it unhandled
    let failed = false;
    const onError = () => {
      failed = true;
    };
    conn.on('error', onError);
    return {
      query: (sql, params) => Mysql2Driver.run(conn, sql, params),
      release: async (broken) => {
        conn.removeListener('error', onError);
        if (broken || failed) {
          conn.destroy();
          conn.stream?.destroy?.(); // a hung server never answers the FIN: do not wait for it
        } else conn.release();
      },
    };
  }
}
