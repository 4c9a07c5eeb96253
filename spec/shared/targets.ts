/**
 * Backends with a chunk store for the shared-worker tests: real Redis, MariaDB and PostgreSQL from
 * the global setup, and SQLite files.
 */
import * as path from 'node:path';
import { RedisBackend, SqlBackend, type StateBackend } from '../../lib/index';
import { testServers } from '../setup/servers';
import { tempDir } from '../helpers';

export type SharedKind = 'redis' | 'mysql' | 'postgres' | 'sqlite';
export const SHARED_KINDS: SharedKind[] = ['redis', 'mysql', 'postgres', 'sqlite'];

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
  }
}
