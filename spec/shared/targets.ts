/**
 * Backends with a chunk store for the shared-worker tests: real Redis, MariaDB and PostgreSQL from
 * the global setup, and SQLite files.
 */
import * as path from 'node:path';
import { RedisBackend, SqlBackend, type StateBackend } from '../../lib/index';
import { testServers } from '../setup/servers';
import { tempDir } from '../helpers';

export type SharedKind = 'redis' | 'mysql' | 'postgres' | 'sqlite' | 'knex-mysql' | 'knex-pg';
export const SHARED_KINDS: SharedKind[] = ['redis', 'mysql', 'postgres', 'sqlite'];
/** Also through knex (its drivers answer writes differently). */
export const KNEX_KINDS: SharedKind[] = ['knex-mysql', 'knex-pg'];

let serial = 0;

/** A fresh namespace (Redis prefix or SQL table) per call, so tests never see each other's jobs. */
export function namespace(): string {
  return `sw_${process.pid}_${serial++}`;
}

/** Opens a backend of `kind` in namespace `ns` (a SQLite file under `dir` for sqlite). */
export function openShared(kind: SharedKind, ns: string, dir: string = tempDir()): StateBackend {
  const s = testServers();
  switch (kind) {
    case 'redis':
      return RedisBackend.fromUrl(s.redisUrl, { prefix: `${ns}:` });
    case 'mysql':
      return SqlBackend.fromUrl(s.mysqlUrl, { table: ns });
    case 'postgres':
      return SqlBackend.fromUrl(s.postgresUrl, { table: ns });
    case 'sqlite':
      return SqlBackend.fromUrl(`sqlite:${path.join(dir, 'shared.db')}`, { table: ns });
    case 'knex-mysql':
    case 'knex-pg': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const knex = (require('knex') as typeof import('knex')).knex({ client: kind === 'knex-pg' ? 'pg' : 'mysql2', connection: kind === 'knex-pg' ? s.postgresUrl : s.mysqlUrl });
      const backend = new SqlBackend(knex, { table: ns });
      const close = backend.close.bind(backend);
      backend.close = async () => {
        await close();
        await knex.destroy();
      };
      return backend;
    }
  }
}
