/**
 * The backends the conformance suite runs against, described by plain JSON so that a child process
 * (spec/fixtures/conformance-job.ts) can open the same backend as the test that spawned it.
 */
import * as path from 'node:path';
import type { StateBackend } from '../../lib/index';
import { FileBackend, MemoryBackend, RedisBackend, SqlBackend } from '../../lib/index';
import { DirBackend } from '../fixtures/dir-backend';

export type TargetKind =
  | 'memory'
  | 'file'
  | 'custom'
  | 'sqlite'
  | 'knex-sqlite'
  | 'redis-url'
  | 'redis-client'
  | 'mysql-conn'
  | 'mysql-pool'
  | 'mysql-promise-conn'
  | 'mysql-promise-pool'
  | 'knex-mysql'
  | 'pg-client'
  | 'pg-pool'
  | 'knex-pg';

export interface TargetDesc {
  kind: TargetKind;
  /** server URL (redis, mysql, postgres) */
  url?: string;
  /** directory (file, custom) or database file (sqlite) */
  path?: string;
  /** SQL table */
  table?: string;
  /** Redis key prefix */
  prefix?: string;
}

export interface OpenBackend {
  backend: StateBackend;
  /** closes what opening created (connections, pools) */
  close(): Promise<void>;
}

/** What a kind of target can do, which decides the cases it runs. */
export interface TargetTraits {
  /** survives the process (crash-and-resume) */
  persistent: boolean;
  /** its lock excludes other processes */
  crossProcessLock: boolean;
  /** offers append */
  append: boolean;
  /** offers list */
  list: boolean;
  /** text may hold U+0000 */
  nul: boolean;
  /** for..of keeps the guarantee (synchronous saves, or the blocking save worker of the network backends) */
  sync: boolean;
}

export function traitsOf(kind: TargetKind): TargetTraits {
  const pg = kind === 'pg-client' || kind === 'pg-pool' || kind === 'knex-pg';
  return {
    persistent: kind !== 'memory',
    crossProcessLock: kind !== 'memory' && kind !== 'custom',
    append: kind === 'memory' || kind === 'file' || kind === 'redis-url' || kind === 'redis-client',
    list: kind !== 'custom',
    nul: !pg,
    sync: kind !== 'custom', // a backend with only the four methods saves in the background under for..of
  };
}

// drivers are required lazily: a child process loads only the one it uses
/* eslint-disable @typescript-eslint/no-require-imports */
const drivers = {
  sqlite: () => require('better-sqlite3') as typeof import('better-sqlite3'),
  mysql: () => require('mysql2') as typeof import('mysql2'),
  mysqlPromise: () => require('mysql2/promise') as typeof import('mysql2/promise'),
  pg: () => require('pg') as typeof import('pg'),
  redis: () => require('ioredis') as typeof import('ioredis'),
  knex: () => require('knex') as typeof import('knex'),
};

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`target description lacks ${what}`);
  return v;
}

/** Opens the backend a description names. */
export async function openBackend(d: TargetDesc): Promise<OpenBackend> {
  const none = async () => undefined;
  switch (d.kind) {
    case 'memory':
      return { backend: new MemoryBackend(), close: none };
    case 'file':
      return { backend: new FileBackend({ dir: need(d.path, 'path') }), close: none };
    case 'custom':
      return { backend: new DirBackend(need(d.path, 'path')), close: none };
    case 'sqlite': {
      const Database = drivers.sqlite();
      const db = new Database(need(d.path, 'path'));
      const backend = new SqlBackend(db, { table: d.table });
      return { backend, close: async () => {
        await backend.close();
        db.close();
      } };
    }
    case 'knex-sqlite': {
      const k = drivers.knex().knex({ client: 'better-sqlite3', connection: { filename: need(d.path, 'path') }, useNullAsDefault: true });
      const backend = new SqlBackend(k, { table: d.table });
      return { backend, close: async () => {
        await backend.close();
        await k.destroy();
      } };
    }
    case 'redis-url': {
      const backend = RedisBackend.fromUrl(need(d.url, 'url'), { prefix: d.prefix });
      return { backend, close: () => backend.close() };
    }
    case 'redis-client': {
      const Redis = drivers.redis().Redis;
      const client = new Redis(need(d.url, 'url'), { maxRetriesPerRequest: 1 });
      client.on('error', () => undefined);
      const backend = new RedisBackend(client, { prefix: d.prefix });
      return { backend, close: async () => {
        await backend.close();
        await client.quit();
      } };
    }
    case 'mysql-conn': {
      const conn = drivers.mysql().createConnection(need(d.url, 'url'));
      conn.on('error', () => undefined);
      const backend = new SqlBackend(conn, { table: d.table });
      return { backend, close: async () => {
        await backend.close();
        await new Promise<void>((r) => conn.end(() => r()));
      } };
    }
    case 'mysql-pool': {
      const pool = drivers.mysql().createPool({ uri: need(d.url, 'url'), connectionLimit: 4 });
      const backend = new SqlBackend(pool, { table: d.table });
      return { backend, close: async () => {
        await backend.close();
        await new Promise<void>((r) => pool.end(() => r()));
      } };
    }
    case 'mysql-promise-conn': {
      const conn = await drivers.mysqlPromise().createConnection(need(d.url, 'url'));
      conn.on('error', () => undefined);
      const backend = new SqlBackend(conn, { dialect: 'mysql', table: d.table });
      return { backend, close: async () => {
        await backend.close();
        await conn.end();
      } };
    }
    case 'mysql-promise-pool': {
      const pool = drivers.mysqlPromise().createPool({ uri: need(d.url, 'url'), connectionLimit: 4 });
      const backend = new SqlBackend(pool, { table: d.table });
      return { backend, close: async () => {
        await backend.close();
        await pool.end();
      } };
    }
    case 'knex-mysql': {
      const k = drivers.knex().knex({ client: 'mysql2', connection: need(d.url, 'url'), pool: { min: 0, max: 4 } });
      const backend = new SqlBackend(k, { table: d.table });
      return { backend, close: async () => {
        await backend.close();
        await k.destroy();
      } };
    }
    case 'pg-client': {
      const client = new (drivers.pg().Client)({ connectionString: need(d.url, 'url') });
      client.on('error', () => undefined);
      await client.connect();
      const backend = new SqlBackend(client, { table: d.table });
      return { backend, close: async () => {
        await backend.close();
        await client.end();
      } };
    }
    case 'pg-pool': {
      const pool = new (drivers.pg().Pool)({ connectionString: need(d.url, 'url'), max: 4 });
      pool.on('error', () => undefined);
      const backend = new SqlBackend(pool, { dialect: 'postgres', table: d.table });
      return { backend, close: async () => {
        await backend.close();
        await pool.end();
      } };
    }
    case 'knex-pg': {
      const k = drivers.knex().knex({ client: 'pg', connection: need(d.url, 'url'), pool: { min: 0, max: 4 } });
      const backend = new SqlBackend(k, { table: d.table });
      return { backend, close: async () => {
        await backend.close();
        await k.destroy();
      } };
    }
  }
}

let serial = 0;

/** A description with names of its own (table, prefix, files) so that suites running at once do not meet. */
export function uniqueTarget(kind: TargetKind, where: { dir: string; url?: string }): TargetDesc {
  const tag = `${kind.replace(/-/g, '_')}_${process.pid}_${serial++}`;
  switch (kind) {
    case 'memory':
      return { kind };
    case 'file':
    case 'custom':
      return { kind, path: path.join(where.dir, tag) };
    case 'sqlite':
    case 'knex-sqlite':
      return { kind, path: path.join(where.dir, `${tag}.db`), table: `cf_${tag}` };
    case 'redis-url':
    case 'redis-client':
      return { kind, url: where.url, prefix: `cf:${tag}:` };
    default:
      return { kind, url: where.url, table: `cf_${tag}` };
  }
}
