import { loadDriver } from '../load-driver';
import type { BuiltinReconnector } from './builtin';
import { connectOptions, describePoolConfig, isMysqlPool, type MysqlMeta } from './mysql2-config';

interface Pool {
  config: { connectionConfig: object };
  getConnection(cb: (err: Error | null, conn: { release(): void }) => void): void;
  end(cb?: (err?: Error | null) => void): void;
}

/**
 * mysql2 callback-API `Pool` (from `mysql2.createPool`): saved as its connection and pool
 * settings without password; recreated with `createPool`, and one connection is checked out and
 * released so that bad credentials fail the resume.
 * @internal
 */
export const mysql2Pool: BuiltinReconnector = {
  name: 'mysql2.Pool',
  describes: 'mysql2 Pool',
  matches: isMysqlPool,
  extract: (p: Pool) => describePoolConfig(p.config),
  async reconnect(meta: MysqlMeta) {
    const options = await connectOptions('mysql2.Pool', meta);
    const mysql = loadDriver<{ createPool(o: object): Pool }>('mysql2');
    const pool = mysql.createPool(options);
    try {
      await new Promise<void>((resolve, reject) =>
        pool.getConnection((err, conn) => {
          if (err) return reject(err);
          conn.release();
          resolve();
        }),
      );
    } catch (e) {
      pool.end(() => undefined);
      throw e;
    }
    return pool;
  },
  dispose: (p: Pool) => new Promise<void>((resolve) => p.end(() => resolve())),
};
