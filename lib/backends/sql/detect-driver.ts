import type { SqlDriver } from './sql-driver';
import { BetterSqlite3Driver } from './drivers/better-sqlite3';
import { Mysql2Driver } from './drivers/mysql2';
import { PgDriver } from './drivers/pg';
import { KnexDriver } from './drivers/knex';
import { InvalidOptionsError } from '../../errors/invalid-options-error';

type Obj = Record<string, unknown>;
const fn = (o: Obj, k: string) => typeof o[k] === 'function';

/**
 * The driver for a connection object, recognised by its shape (no driver package is loaded):
 * - knex: a function with `raw` and `client.config`;
 * - better-sqlite3: `prepare`, `exec`, `pragma`;
 * - pg: `query` plus `connectionParameters` (a `Client`) or a numeric `totalCount` (a `Pool`);
 * - mysql2: `query` plus `execute` or a `config` object (callback or promise API, connection or pool).
 * @internal
 */
export function driverFor(conn: unknown): SqlDriver {
  if ((typeof conn === 'function' || typeof conn === 'object') && conn !== null) {
    const o = conn as Obj;
    const client = o.client as Obj | undefined;
    if (fn(o, 'raw') && client && typeof client === 'object' && client.config) return new KnexDriver(conn as never);
    if (fn(o, 'prepare') && fn(o, 'exec') && fn(o, 'pragma')) return new BetterSqlite3Driver(conn as never);
    if (fn(o, 'query') && ('connectionParameters' in o || (fn(o, 'connect') && typeof o.totalCount === 'number'))) return new PgDriver(conn as never);
    if (fn(o, 'query') && (fn(o, 'execute') || (typeof o.config === 'object' && o.config !== null))) return new Mysql2Driver(conn as object);
  }
  throw new InvalidOptionsError(
    'conn',
    `SqlBackend needs a better-sqlite3 Database, a mysql2 connection or pool, a pg Client or Pool, or a knex instance (got ${conn === null ? 'null' : typeof conn === 'object' ? (conn.constructor?.name ?? 'object') : typeof conn})`,
  );
}
