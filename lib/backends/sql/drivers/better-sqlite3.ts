import type { SqlDriver, SqlSession, Rows } from '../sql-driver';

interface Statement {
  readonly reader: boolean;
  raw(on: boolean): Statement;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}

interface Database {
  prepare(sql: string): Statement;
  transaction<F extends (...a: unknown[]) => unknown>(fn: F): F;
}

/**
 * better-sqlite3: synchronous, so the backend offers `saveSync` and a plain `for..of` keeps the
 * at-most-the-item-in-flight guarantee. Statements are prepared once and cached.
 * @internal
 */
export class BetterSqlite3Driver implements SqlDriver {
  readonly name = 'better-sqlite3';
  readonly dialect = 'sqlite' as const;
  readonly sync = true;
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  get identity(): object {
    return this.db;
  }

  private statement(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      if (s.reader) s.raw(true);
      this.statements.set(sql, s);
    }
    return s;
  }

  querySync(sql: string, params: unknown[]): Rows {
    const s = this.statement(sql);
    if (s.reader) return s.all(...params) as Rows;
    s.run(...params);
    return [];
  }

  query(sql: string, params: unknown[]): Promise<Rows> {
    try {
      return Promise.resolve(this.querySync(sql, params));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  transactionSync<T>(fn: () => T): T {
    return this.db.transaction(fn)() as T;
  }

  async session(): Promise<SqlSession> {
    return { query: (sql, params) => this.query(sql, params), release: async () => undefined };
  }
}
