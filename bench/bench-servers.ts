/**
 * Throwaway servers for the server benchmark (the test suite's own helpers, spec/setup/servers.ts):
 * started on loopback under the scratch directory, stopped at the end. A server whose binaries are
 * missing is skipped with a note, not an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startMariaDb, startPostgres, startRedis, stopMariaDb, stopPostgres, stopRedis } from '../spec/setup/servers';

export interface BenchServers {
  redisUrl: string | null;
  mysqlUrl: string | null;
  postgresUrl: string | null;
  /** why a server is missing */
  notes: string[];
  /** stops every server that started */
  stop(): void;
}

async function attempt(what: string, start: () => Promise<string>, notes: string[]): Promise<string | null> {
  try {
    return await start();
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    notes.push(`${what} skipped: ${msg}`);
    return null;
  }
}

/** Starts Redis, MariaDB and PostgreSQL (those whose binaries exist) under `root`. */
export async function startBenchServers(root: string): Promise<BenchServers> {
  // PostgreSQL runs as its own user: it must reach its directory
  fs.chmodSync(path.dirname(root), 0o755);
  fs.chmodSync(root, 0o755);
  const notes: string[] = [];
  const [redisUrl, mysqlUrl, postgresUrl] = await Promise.all([
    attempt('Redis', () => startRedis(root), notes),
    attempt('MariaDB', () => startMariaDb(root), notes),
    attempt('PostgreSQL', () => startPostgres(root), notes),
  ]);
  return {
    redisUrl,
    mysqlUrl,
    postgresUrl,
    notes,
    stop: () => {
      if (redisUrl) stopRedis(root);
      if (mysqlUrl) stopMariaDb(root);
      if (postgresUrl) stopPostgres(root);
    },
  };
}
