/**
 * The servers of the benchmark's Redis and SQL rows: a URL from the environment when one is given,
 * else a throwaway server started with the test suite's own helpers (spec/setup/servers.ts) on
 * loopback under the scratch directory, stopped at the end. A server whose binaries are missing is
 * reported (`redis-server not installed`), not an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startMariaDb, startPostgres, startRedis, stopMariaDb, stopPostgres, stopRedis } from '../spec/setup/servers';

export type ServerKind = 'redis' | 'mysql' | 'postgres';

/** Environment variables naming servers to use instead of starting throwaway ones. */
export const SERVER_ENV: Record<ServerKind, string> = {
  redis: 'SAFE_STATE_BENCH_REDIS_URL',
  mysql: 'SAFE_STATE_BENCH_MYSQL_URL',
  postgres: 'SAFE_STATE_BENCH_POSTGRES_URL',
};

/** One server: its URL, or null and why. */
export interface BenchServer {
  url: string | null;
  /** where the URL came from (for messages): the variable's name, or 'a throwaway server' */
  source: string;
  /** why there is no URL ('' when there is one) */
  reason: string;
}

export type BenchServers = Record<ServerKind, BenchServer> & {
  /** stops every server that was started */
  stop(): void;
};

const START: Record<ServerKind, { start: (root: string) => Promise<string>; stop: (root: string) => void }> = {
  redis: { start: (root) => startRedis(root), stop: stopRedis },
  mysql: { start: (root) => startMariaDb(root), stop: stopMariaDb },
  postgres: { start: (root) => startPostgres(root), stop: stopPostgres },
};

/**
 * "redis-server not found: install redis-server (…)" (spec/setup/servers.ts) → "redis-server not
 * installed"; "initdb not found: install postgresql (…)" → "initdb not installed (package postgresql)".
 */
export function skipReason(e: unknown): string {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  const missing = /^(\S+) not found: install (\S+)/.exec(msg);
  if (!missing) return `could not start: ${msg}`;
  return missing[1] === missing[2] ? `${missing[1]} not installed` : `${missing[1]} not installed (package ${missing[2]})`;
}

/** The servers of the run: from the environment, or started under `root` (those whose binaries exist). */
export async function serversFor(root: string): Promise<BenchServers> {
  const kinds = Object.keys(START) as ServerKind[];
  const started: ServerKind[] = [];
  if (kinds.some((k) => !process.env[SERVER_ENV[k]])) {
    // PostgreSQL runs as its own user: it must reach its directory
    fs.mkdirSync(root, { recursive: true });
    fs.chmodSync(path.dirname(root), 0o755);
    fs.chmodSync(root, 0o755);
  }
  const found = await Promise.all(
    kinds.map(async (kind): Promise<BenchServer> => {
      const given = process.env[SERVER_ENV[kind]];
      if (given) return { url: given, source: SERVER_ENV[kind], reason: '' };
      try {
        const url = await START[kind].start(root);
        started.push(kind);
        return { url, source: 'a throwaway server', reason: '' };
      } catch (e) {
        START[kind].stop(root); // whatever half started
        return { url: null, source: 'a throwaway server', reason: skipReason(e) };
      }
    }),
  );
  const servers = Object.fromEntries(kinds.map((k, i) => [k, found[i]])) as Record<ServerKind, BenchServer>;
  return {
    ...servers,
    stop: () => {
      for (const kind of started.splice(0)) START[kind].stop(root);
    },
  };
}
