import { loadDriver } from '../load-driver';
import type { BuiltinReconnector } from './builtin';
import { ctorName } from './builtin';
import { connectOptions, describeConnectionConfig, isMysqlConnection, type MysqlMeta } from './mysql2-config';

interface PromiseConnection {
  connection: { config: object };
  end(): Promise<void>;
  destroy(): void;
}

/**
 * mysql2 promise-API connection (from `mysql2/promise` `createConnection`): saved like the
 * callback connection it wraps; reconnected with `mysql2/promise` `createConnection`.
 * @internal
 */
export const mysql2PromiseConnection: BuiltinReconnector = {
  name: 'mysql2/promise.Connection',
  describes: 'mysql2/promise Connection',
  matches: (v) => ctorName(v) === 'PromiseConnection' && isMysqlConnection((v as { connection?: unknown }).connection),
  extract: (c: PromiseConnection) => describeConnectionConfig(c.connection.config),
  async reconnect(meta: MysqlMeta) {
    const options = await connectOptions('mysql2/promise.Connection', meta);
    const mysql = loadDriver<{ createConnection(o: object): Promise<PromiseConnection> }>('mysql2/promise');
    return mysql.createConnection(options);
  },
  dispose: (c: PromiseConnection) => c.destroy(),
};
