import { loadDriver } from '../load-driver';
import type { BuiltinReconnector } from './builtin';
import { ctorName } from './builtin';
import { connectOptions, describePoolConfig, isMysqlPool, type MysqlMeta } from './mysql2-config';

interface PromisePool {
  pool: { config: { connectionConfig: object } };
  getConnection(): Promise<{ release(): void }>;
  end(): Promise<void>;
}

/**
 * mysql2 promise-API pool (from `mysql2/promise` `createPool`): saved like the callback pool it
 * wraps; recreated with `mysql2/promise` `createPool`, checking one connection out and back.
 * @internal
 */
export const mysql2PromisePool: BuiltinReconnector = {
  name: 'mysql2/promise.Pool',
  describes: 'mysql2/promise Pool',
  matches: (v) => ctorName(v) === 'PromisePool' && isMysqlPool((v as { pool?: unknown }).pool),
  extract: (p: PromisePool) => describePoolConfig(p.pool.config),
  async reconnect(meta: MysqlMeta) {
    const options = await connectOptions('mysql2/promise.Pool', meta);
    const mysql = loadDriver<{ createPool(o: object): PromisePool }>('mysql2/promise');
    const pool = mysql.createPool(options);
    try {
      (await pool.getConnection()).release();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return pool;
  },
  dispose: (p: PromisePool) => p.end(),
};
