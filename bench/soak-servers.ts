/**
 * The database servers of `npm run soak` (Redis, MariaDB/MySQL, PostgreSQL), for each one the soak
 * needs, in this order:
 *
 * 1. the URL in `SAFE_STATE_SOAK_REDIS_URL` / `SAFE_STATE_SOAK_MYSQL_URL` / `SAFE_STATE_SOAK_PG_URL`;
 * 2. the test suite's server (`SAFE_STATE_TEST_REDIS_URL` / `_MYSQL_URL` / `_PG_URL`, which jest's
 *    global setup sets, so the CI soak spawned from a test uses the test servers);
 * 3. a throwaway server started with the test suite's own helpers (spec/setup/servers.ts) in a
 *    temporary directory, when its binaries are installed (redis-server; mariadbd; PostgreSQL's
 *    initdb and pg_ctl), stopped and removed by `stop()`.
 *
 * A server that cannot be had (no binaries, a start that failed, a URL nobody answers at) is left
 * out with the reason, which the soak reports as a skipped backend. URLs printed anywhere have
 * their password masked.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENV, startMariaDb, startPostgres, startRedis, stopMariaDb, stopPostgres, stopRedis } from '../spec/setup/servers';
import { redactUrl } from '../lib/util/redact-url';

export type ServerKind = 'redis' | 'mysql' | 'postgres';

export const SERVER_LABELS: Record<ServerKind, string> = { redis: 'Redis', mysql: 'MariaDB', postgres: 'PostgreSQL' };

/** The soak's own variables (checked before the test suite's ones of spec/setup/servers.ts). */
export const SOAK_ENV: Record<ServerKind, string> = { redis: 'SAFE_STATE_SOAK_REDIS_URL', mysql: 'SAFE_STATE_SOAK_MYSQL_URL', postgres: 'SAFE_STATE_SOAK_PG_URL' };

export interface SoakServer {
  url: string;
  /** where it comes from, for the summary (password masked) */
  source: string;
}

export interface SoakServers {
  /** the servers the soak can use */
  found: Partial<Record<ServerKind, SoakServer>>;
  /** why a server the soak asked for cannot be used */
  missing: Partial<Record<ServerKind, string>>;
  /** stops the throwaway servers and removes their directory (idempotent) */
  stop(): void;
}


function reachable(url: string, timeoutMs = 3_000): Promise<boolean> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname || '127.0.0.1';
    port = Number(u.port) || (u.protocol === 'redis:' ? 6379 : u.protocol.startsWith('postgres') ? 5432 : 3306);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.on('connect', () => done(true));
    s.on('timeout', () => done(false));
    s.on('error', () => done(false));
  });
}

const STARTERS: Record<ServerKind, { start(root: string): Promise<string>; stop(root: string): void }> = {
  redis: { start: (root) => startRedis(root), stop: stopRedis },
  mysql: { start: (root) => startMariaDb(root), stop: stopMariaDb },
  postgres: { start: (root) => startPostgres(root), stop: stopPostgres },
};

/**
 * Finds (or starts) the servers of `kinds`. `log` gets a line per server. The caller must call
 * `stop()` (the soak does, also on SIGINT/SIGTERM).
 */
export async function resolveSoakServers(kinds: readonly ServerKind[], log: (line: string) => void): Promise<SoakServers> {
  const found: SoakServers['found'] = {};
  const missing: SoakServers['missing'] = {};
  const toStart: ServerKind[] = [];
  for (const kind of kinds) {
    const name = [SOAK_ENV[kind], ENV[kind]].find((k) => process.env[k]);
    if (!name) {
      toStart.push(kind);
      continue;
    }
    const url = process.env[name]!;
    if (await reachable(url)) found[kind] = { url, source: `${name}=${redactUrl(url)}` };
    else missing[kind] = `${name}=${redactUrl(url)} does not answer`;
  }
  let root: string | null = null;
  const started: ServerKind[] = [];
  const stop = () => {
    if (!root) return;
    for (const kind of started.splice(0)) {
      try {
        STARTERS[kind].stop(root);
      } catch (e) {
        log(`stopping the throwaway ${SERVER_LABELS[kind]} failed: ${(e as Error).message}`);
      }
    }
    fs.rmSync(root, { recursive: true, force: true });
    root = null;
  };
  if (toStart.length) {
    // PostgreSQL runs as its own user when we are root: it must reach its directory
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-soak-servers-'));
    fs.chmodSync(dir, 0o755);
    root = dir;
    await Promise.all(
      toStart.map(async (kind) => {
        const t0 = Date.now();
        try {
          const url = await STARTERS[kind].start(dir);
          started.push(kind);
          found[kind] = { url, source: `throwaway server ${redactUrl(url)}` };
          log(`${SERVER_LABELS[kind]}: started a throwaway server in ${Date.now() - t0} ms`);
        } catch (e) {
          // a partly started server (e.g. up but its user not created) is stopped with the others
          started.push(kind);
          missing[kind] = `no ${SOAK_ENV[kind]} or ${ENV[kind]}, and no throwaway server: ${(e as Error).message.split('\n')[0]}`;
        }
      }),
    );
  }
  for (const kind of kinds) if (found[kind]) log(`${SERVER_LABELS[kind]}: ${found[kind]!.source}`);
  return { found, missing, stop };
}
