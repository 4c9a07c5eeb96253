import type { StateBackend } from '../state-backend';
import type { WorkerSpec } from './worker-spec';
import { RedisBackend } from '../redis/redis-backend';
import { SqlBackend } from '../sql/sql-backend';

/** A backend opened in the worker, and how to close what opening it created. @internal */
export interface WorkerBackend {
  backend: StateBackend & { adoptLock?(jobName: string, state: Record<string, unknown>): void };
  close(): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-require-imports */

/**
 * Opens, in the worker thread, the backend a {@link WorkerSpec} describes: the same class as the
 * run's, on a connection of its own made from the described options (drivers are loaded here, from
 * the application's node_modules), configured to fail within the spec's timeout.
 * @internal
 */
export async function openWorkerBackend(spec: WorkerSpec): Promise<WorkerBackend> {
  const t = spec.timeoutMs;
  if (spec.kind === 'redis') {
    const { Redis } = require('ioredis') as typeof import('ioredis');
    const client = new Redis({ ...(spec.connection as object), lazyConnect: true, connectTimeout: t, commandTimeout: t, maxRetriesPerRequest: 0, retryStrategy: (n: number) => Math.min(100 * n, 2_000) });
    client.on('error', () => undefined); // reported by the failing save
    const backend = new RedisBackend(client, spec.options);
    return { backend, close: async () => void (await backend.close(), client.disconnect()) };
  }
  let conn: object;
  let close: () => Promise<void>;
  if (spec.driver === 'pg') {
    const pg = require('pg') as typeof import('pg');
    const client = new pg.Client({ ...(spec.connection as object), connectionTimeoutMillis: t });
    client.on('error', () => undefined);
    await client.connect();
    conn = client;
    close = () => client.end();
  } else if (spec.driver === 'mysql2') {
    const mysql = require('mysql2') as typeof import('mysql2');
    const c = mysql.createConnection({ ...(spec.connection as object), connectTimeout: t });
    c.on('error', () => undefined);
    conn = c;
    close = () => new Promise<void>((resolve) => c.end(() => resolve()));
  } else {
    const { knex } = require('knex') as typeof import('knex');
    const k = knex({ ...(spec.connection as object), pool: { min: 0, max: 1 } } as import('knex').Knex.Config);
    conn = k;
    close = () => k.destroy();
  }
  const backend = new SqlBackend(conn as never, spec.options);
  return { backend, close: async () => void (await backend.close(), await close()) };
}
