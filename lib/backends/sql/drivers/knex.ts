import type { SqlDriver, SqlSession, Rows } from '../sql-driver';
import { toRows } from '../sql-driver';
import type { SqlDialect } from '../sql-options';
import { Mysql2Driver } from './mysql2';
import { PgDriver } from './pg';

interface KnexInstance {
  raw(sql: string, bindings: unknown[]): PromiseLike<unknown>;
  client: { config: { client?: unknown }; acquireConnection(): Promise<object>; releaseConnection(conn: object): Promise<unknown> };
}

const DIALECTS: Record<string, SqlDialect> = {
  'better-sqlite3': 'sqlite',
  sqlite3: 'sqlite',
  sqlite: 'sqlite',
  mysql: 'mysql',
  mysql2: 'mysql',
  pg: 'postgres',
  postgres: 'postgres',
  postgresql: 'postgres',
};

/** The dialect of a knex instance, from `client.config.client` (a name or a client class). @internal */
export function knexDialect(k: KnexInstance): SqlDialect | null {
  const c = k.client?.config?.client;
  const name = typeof c === 'string' ? c : typeof c === 'function' ? String((c as { prototype?: { dialect?: unknown } }).prototype?.dialect ?? '') : '';
  return DIALECTS[name] ?? null;
}

/**
 * A knex instance: queries go through `knex.raw` (knex's pool and its own `?` bindings); the
 * connection a job run holds (MySQL and PostgreSQL locks) is checked out with
 * `client.acquireConnection()` and driven with the matching driver.
 * @internal
 */
export class KnexDriver implements SqlDriver {
  readonly name = 'knex';
  readonly dialect: SqlDialect | null;
  readonly sync = false;

  constructor(private readonly knex: KnexInstance) {
    this.dialect = knexDialect(knex);
  }

  get identity(): object {
    return this.knex;
  }

  async query(sql: string, params: unknown[]): Promise<Rows> {
    const r = (await this.knex.raw(sql, params)) as unknown;
    if (this.dialect === 'mysql') return Array.isArray(r) ? toRows(r[0]) : [];
    if (this.dialect === 'postgres') return toRows((r as { rows?: unknown })?.rows);
    return toRows(r);
  }

  async session(): Promise<SqlSession> {
    if (this.dialect === 'sqlite' || this.dialect === null) {
      return { query: (sql, params) => this.query(sql, params), release: async () => undefined };
    }
    const conn = await this.knex.client.acquireConnection();
    const driver = this.dialect === 'mysql' ? new Mysql2Driver(conn) : new PgDriver(conn as never);
    return {
      query: (sql, params) => driver.query(sql, params),
      release: async (broken) => {
        if (broken) {
          // knex validates connections when they are handed out again; a broken one is then dropped
          (conn as { destroy?: () => void; end?: () => void }).destroy?.();
        }
        await this.knex.client.releaseConnection(conn);
      },
    };
  }
}
