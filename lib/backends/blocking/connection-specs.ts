import type { WorkerSpec } from './worker-spec';
import { lockState, plainData } from './worker-spec';

type Obj = Record<string, unknown>;

/** The fields of `o` named in `keys` that hold plain data. */
function pick(o: Obj | undefined, keys: readonly string[]): Obj {
  const out: Obj = {};
  if (!o) return out;
  for (const k of keys) {
    const v = plainData(o[k], 1);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * How a worker opens its own connection to the Redis server of an ioredis client: the client's
 * options as plain data (host, port, path, username, password, db, tls, keyPrefix, sentinels…), or
 * null for a client that cannot be described so (an ioredis `Cluster`, an object that is not ioredis).
 * @internal
 */
export function redisWorkerSpec(client: object, options: Obj, held: object | undefined, timeoutMs: number): WorkerSpec | null {
  const c = client as { isCluster?: unknown; options?: unknown };
  if (c.isCluster === true || typeof c.options !== 'object' || c.options === null) return null;
  const connection = plainData(c.options) as Obj;
  const commandTimeout = typeof connection.commandTimeout === 'number' ? connection.commandTimeout : 0;
  return { kind: 'redis', connection, options, lock: lockState(held), timeoutMs: timeoutMs || commandTimeout || 5_000 };
}

const PG_KEYS = ['user', 'database', 'port', 'host', 'password', 'ssl', 'options', 'application_name', 'connectionString', 'client_encoding'] as const;
const MYSQL_KEYS = ['host', 'port', 'socketPath', 'user', 'password', 'database', 'ssl', 'localAddress'] as const;

/**
 * How a worker opens its own connection to the database of an SQL connection object (the driver's
 * identity: a pg `Client`/`Pool`, a mysql2 connection/pool, a knex instance): the options it was
 * made with, as plain data, or null when they cannot be read (a knex whose client or connection is
 * a function, a connection made from a function).
 * @internal
 */
export function sqlWorkerSpec(driverName: string, conn: object, options: Obj, held: object | undefined, timeoutMs: number): WorkerSpec | null {
  const o = conn as Obj;
  let driver: WorkerSpec['driver'];
  let connection: Obj;
  if (driverName === 'pg') {
    driver = 'pg';
    // a Client keeps what it connects with in `connectionParameters`, a Pool the options it was given
    connection = pick((o.connectionParameters ?? o.options) as Obj | undefined, PG_KEYS);
    if (typeof (o.connectionParameters as Obj | undefined)?.password === 'function' || typeof (o.options as Obj | undefined)?.password === 'function') return null;
  } else if (driverName === 'mysql2') {
    driver = 'mysql2';
    const config = (o.config as Obj | undefined)?.connectionConfig ?? o.config; // a pool's, or a connection's
    connection = pick(config as Obj | undefined, MYSQL_KEYS);
  } else if (driverName === 'knex') {
    driver = 'knex';
    const config = (o.client as Obj | undefined)?.config as Obj | undefined;
    if (!config || typeof config.client !== 'string' || (typeof config.connection !== 'object' && typeof config.connection !== 'string') || config.connection === null) return null;
    connection = pick(config, ['client', 'connection', 'useNullAsDefault', 'searchPath']);
    // knex parses a connection URL into an object whose password is not enumerable
    const pw = typeof config.connection === 'object' ? (config.connection as Obj).password : undefined;
    if (typeof pw === 'string') connection.connection = { ...(connection.connection as Obj), password: pw };
  } else return null;
  if (Object.keys(connection).length === 0) return null;
  return { kind: 'sql', driver, connection, options, lock: lockState(held), timeoutMs };
}

/**
 * A held lock rebuilt in the worker from its plain-data state: no renewal timer of its own (the
 * run's process keeps renewing; the backend's saves renew it too) and nothing to drop.
 * @internal
 */
export function adoptedLock<T>(state: Record<string, unknown>): T {
  return { ...state, timer: undefined, drop: () => undefined } as T;
}
