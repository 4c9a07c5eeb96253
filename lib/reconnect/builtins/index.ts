import type { BuiltinReconnector } from './builtin';
import { betterSqlite3Database } from './better-sqlite3';
import { netSocket } from './net-socket';
import { fsWriteStream } from './fs-write-stream';
import { fsFileHandle } from './fs-file-handle';
import { httpAgent } from './http-agent';
import { httpsAgent } from './https-agent';
import { mysql2Connection } from './mysql2-connection';
import { mysql2Pool } from './mysql2-pool';
import { mysql2PromiseConnection } from './mysql2-promise-connection';
import { mysql2PromisePool } from './mysql2-promise-pool';
import { ioredisClient } from './ioredis';
import { knexInstance } from './knex';

export type { BuiltinReconnector } from './builtin';

/**
 * The built-in reconnectors, installed when the registry loads. None of them loads its driver
 * package before `reconnect` runs; none writes a password, token or key into a checkpoint.
 * @internal
 */
export const BUILTIN_RECONNECTORS: readonly BuiltinReconnector[] = [
  betterSqlite3Database, netSocket, fsWriteStream, fsFileHandle, httpAgent, httpsAgent, mysql2Connection, mysql2Pool,
  mysql2PromiseConnection, mysql2PromisePool, ioredisClient, knexInstance,
];
