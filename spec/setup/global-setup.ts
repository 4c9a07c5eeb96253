import { ENV, startAll } from './servers';

/** Starts throwaway Redis, MariaDB and PostgreSQL servers before any test file runs. */
export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const s = await startAll();
  process.env[ENV.redis] = s.redisUrl;
  process.env[ENV.mysql] = s.mysqlUrl;
  process.env[ENV.postgres] = s.postgresUrl;
  process.env[ENV.root] = s.root;
  process.stderr.write(`\n[test servers] redis, mariadb, postgres up in ${Date.now() - t0} ms under ${s.root}\n`);
}
