import { loadDriver } from '../load-driver';
import type { BuiltinReconnector } from './builtin';
import { connectOptions, describeConnectionConfig, isMysqlConnection, type MysqlMeta } from './mysql2-config';

interface Connection {
  config: object;
  connect(cb: (err: Error | null) => void): void;
  destroy(): void;
}

/**
 * mysql2 callback-API `Connection` (from `mysql2.createConnection`): saved as its settings
 * without password or TLS material; reconnected with `createConnection` and awaited until the
 * handshake is done, so a wrong password fails the resume, not the first query.
 * @internal
 */
export const mysql2Connection: BuiltinReconnector = {
  name: 'mysql2.Connection',
  describes: 'mysql2 Connection',
  matches: isMysqlConnection,
  extract: (c: Connection) => describeConnectionConfig(c.config),
  async reconnect(meta: MysqlMeta) {
    const options = await connectOptions('mysql2.Connection', meta);
    const mysql = loadDriver<{ createConnection(o: object): Connection }>('mysql2');
    const conn = mysql.createConnection(options);
    try {
      await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    } catch (e) {
      conn.destroy();
      throw e;
    }
    return conn;
  },
  dispose: (c: Connection) => c.destroy(),
};
