import { createHash } from 'node:crypto';
import type { SqlDriver, SqlSession, Rows } from '../sql-driver';

interface QueryConfig {
  text: string;
  values: unknown[];
  rowMode: 'array';
  name?: string;
}

interface PgQueryable {
  query(config: QueryConfig): Promise<{ rows: unknown[][] }>;
}

interface PgPoolLike extends PgQueryable {
  connect(): Promise<
    PgQueryable & {
      release(err?: Error | boolean): void;
      on(event: 'error', fn: (e: Error) => void): unknown;
      removeListener(event: 'error', fn: (e: Error) => void): unknown;
    }
  >;
}

/** Whether a pg object is a `Pool` (a `Client`, pooled or not, has `connectionParameters`). @internal */
export function isPgPool(conn: object): boolean {
  return !('connectionParameters' in conn) && typeof (conn as { totalCount?: unknown }).totalCount === 'number';
}

/**
 * node-postgres: `?` placeholders become `$1, $2, …`; statements with parameters are named, so
 * each connection parses and plans them once.
 * @internal
 */
export class PgDriver implements SqlDriver {
  readonly name = 'pg';
  readonly dialect = 'postgres' as const;
  readonly sync = false;
  private readonly configs = new Map<string, { text: string; name?: string }>();

  constructor(private readonly conn: PgQueryable) {}

  get identity(): object {
    return this.conn;
  }

  private config(sql: string, params: unknown[]): QueryConfig {
    let c = this.configs.get(sql);
    if (!c) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      c = n > 0 ? { text, name: 'safe_state_' + createHash('sha1').update(text).digest('hex').slice(0, 20) } : { text };
      this.configs.set(sql, c);
    }
    return { ...c, values: params, rowMode: 'array' };
  }

  private static async run(conn: PgQueryable, config: QueryConfig): Promise<Rows> {
    const r = await conn.query(config);
    return Array.isArray(r) ? (r[r.length - 1]?.rows ?? []) : (r.rows ?? []);
  }

  query(sql: string, params: unknown[]): Promise<Rows> {
    return PgDriver.run(this.conn, this.config(sql, params));
  }

  async session(): Promise<SqlSession> {
    if (!isPgPool(this.conn)) return { query: (sql, params) => this.query(sql, params), release: async () => undefined };
    const client = await (this.conn as PgPoolLike).connect();
    // a checked-out client is not watched by the pool: an error event (the server went away) would
    // be unhandled and end the process
    let failed = false;
    const onError = () => {
      failed = true;
    };
    client.on('error', onError);
    return {
      query: (sql, params) => PgDriver.run(client, this.config(sql, params)),
      release: async (broken) => {
        client.removeListener('error', onError);
        client.release(broken || failed ? new Error('safe-state: the connection failed during a job') : undefined);
      },
    };
  }
}
