/**
 * Throwaway Redis, MariaDB and PostgreSQL servers for the test suite: started on loopback on free
 * ports with temporary data directories, stopped afterwards. Nothing here talks to a system-wide
 * server. `npm run test:all` (scripts/test-servers.sh) installs the Debian packages (redis-server,
 * mariadb-server, postgresql) when they are missing.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export interface TestServers {
  /** redis://127.0.0.1:PORT */
  redisUrl: string;
  /** mysql://safestate:PASSWORD@127.0.0.1:PORT/safestate */
  mysqlUrl: string;
  /** postgres://safestate:PASSWORD@127.0.0.1:PORT/safestate */
  postgresUrl: string;
  /** base directory of data dirs, pid files and logs */
  root: string;
}

/** Environment variables through which jest workers find the servers. */
export const ENV = { redis: 'SAFE_STATE_TEST_REDIS_URL', mysql: 'SAFE_STATE_TEST_MYSQL_URL', postgres: 'SAFE_STATE_TEST_PG_URL', root: 'SAFE_STATE_TEST_SERVERS_ROOT' } as const;

const PASSWORD = 'safestate-test-pw';
const PG_BIN = '/usr/lib/postgresql/15/bin';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function which(bin: string, hint: string): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', PG_BIN])) {
    const p = path.join(dir, bin);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${bin} not found: install ${hint} (apt-get install -y ${hint}); npm run test:all does this`);
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`${what} did not start within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * Starts Redis; returns its URL. `extraArgs` come after the defaults and override them (e.g.
 * `['--appendonly', 'yes', '--appendfsync', 'always']` for a server whose data survives a SIGKILL).
 */
export async function startRedis(root: string, port?: number, extraArgs: string[] = []): Promise<string> {
  const bin = which('redis-server', 'redis-server');
  const dir = path.join(root, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  port ??= await freePort();
  execFileSync(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--dir', dir, '--pidfile', path.join(dir, 'redis.pid'), '--logfile', path.join(dir, 'redis.log'), ...extraArgs]);
  await waitFor('redis', () => canConnect(port!));
  fs.writeFileSync(path.join(dir, 'port'), String(port));
  return `redis://127.0.0.1:${port}`;
}

/** Starts MariaDB with a `safestate` database and password user; returns its URL. */
export async function startMariaDb(root: string, port?: number): Promise<string> {
  const installDb = which('mariadb-install-db', 'mariadb-server');
  const mariadbd = which('mariadbd', 'mariadb-server');
  const client = which('mariadb', 'mariadb-client');
  const dir = path.join(root, 'mariadb');
  const data = path.join(dir, 'data');
  const sock = path.join(dir, 'mysqld.sock');
  fs.mkdirSync(data, { recursive: true });
  port ??= await freePort();
  const fresh = !fs.existsSync(path.join(data, 'mysql'));
  if (fresh) execFileSync(installDb, ['--no-defaults', `--datadir=${data}`, '--user=root', '--skip-test-db', '--auth-root-authentication-method=socket'], { stdio: 'ignore' });
  const child = spawn(mariadbd, ['--no-defaults', `--datadir=${data}`, `--socket=${sock}`, `--port=${port}`, '--bind-address=127.0.0.1', '--user=root', '--skip-log-bin', `--pid-file=${path.join(dir, 'mariadb.pid')}`, `--log-error=${path.join(dir, 'error.log')}`, '--innodb-flush-log-at-trx-commit=1', '--max-connections=500'], { detached: true, stdio: 'ignore' });
  child.unref();
  await waitFor('mariadb', () => fs.existsSync(sock) && canConnect(port!));
  if (fresh) {
    const sql = `CREATE DATABASE IF NOT EXISTS safestate; CREATE USER IF NOT EXISTS 'safestate'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}'; CREATE USER IF NOT EXISTS 'safestate'@'localhost' IDENTIFIED BY '${PASSWORD}'; GRANT ALL ON *.* TO 'safestate'@'127.0.0.1' WITH GRANT OPTION; GRANT ALL ON *.* TO 'safestate'@'localhost' WITH GRANT OPTION; FLUSH PRIVILEGES;`;
    execFileSync(client, ['--no-defaults', `--socket=${sock}`, '-uroot', '-e', sql]);
  }
  fs.writeFileSync(path.join(dir, 'port'), String(port));
  return `mysql://safestate:${PASSWORD}@127.0.0.1:${port}/safestate`;
}

function asPostgresUser(): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
}

function runPg(args: string[]): void {
  const prefix = asPostgresUser();
  const [cmd, ...rest] = prefix.length ? [...prefix, ...args] : args;
  execFileSync(cmd, rest, { stdio: 'ignore' });
}

/** Server settings of {@link startPostgres} that tests vary. */
export interface PostgresSettings {
  /** `max_prepared_transactions` (default 20; 0 disables PREPARE TRANSACTION) */
  maxPreparedTransactions?: number;
}

/** Starts PostgreSQL 15 (as the postgres user when root) with a `safestate` database; returns its URL. */
export async function startPostgres(root: string, port?: number, settings: PostgresSettings = {}): Promise<string> {
  const initdb = which('initdb', 'postgresql');
  const pgCtl = which('pg_ctl', 'postgresql');
  const dir = path.join(root, 'postgres');
  const data = path.join(dir, 'data');
  fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres', dir]);
  port ??= await freePort();
  const fresh = !fs.existsSync(path.join(data, 'PG_VERSION'));
  if (fresh) {
    const pwFile = path.join(dir, 'pw');
    fs.writeFileSync(pwFile, PASSWORD);
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres', pwFile]);
    runPg([initdb, '-D', data, '-U', 'safestate', `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '--no-sync']);
  }
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_prepared_transactions=${settings.maxPreparedTransactions ?? 20} -c max_connections=200 -c fsync=on`;
  runPg([pgCtl, '-D', data, '-l', path.join(dir, 'log'), '-o', opts, '-w', 'start']);
  fs.writeFileSync(path.join(dir, 'port'), String(port));
  if (fresh) {
    const psql = which('psql', 'postgresql-client');
    execFileSync(psql, ['-h', '127.0.0.1', '-p', String(port), '-U', 'safestate', '-d', 'postgres', '-c', 'CREATE DATABASE safestate'], { env: { ...process.env, PGPASSWORD: PASSWORD }, stdio: 'ignore' });
  }
  return `postgres://safestate:${PASSWORD}@127.0.0.1:${port}/safestate`;
}

/** Stops Redis at once (SIGKILL: a throwaway server has nothing to keep). */
export function stopRedis(root: string): void {
  const pid = readPid(path.join(root, 'redis', 'redis.pid'));
  if (pid) killAndWait(pid, 'SIGKILL');
}

/** Stops MariaDB at once (SIGKILL: a clean shutdown takes ~15 s; InnoDB recovers on restart). */
export function stopMariaDb(root: string): void {
  const pid = readPid(path.join(root, 'mariadb', 'mariadb.pid'));
  if (pid) killAndWait(pid, 'SIGKILL');
}

export function stopPostgres(root: string): void {
  const data = path.join(root, 'postgres', 'data');
  if (!fs.existsSync(path.join(data, 'postmaster.pid'))) return;
  try {
    runPg([which('pg_ctl', 'postgresql'), '-D', data, '-m', 'immediate', '-w', 'stop']);
  } catch {
    /* already stopped */
  }
}

/** Alive and not a zombie (a killed child of ours stays a zombie until the event loop reaps it). */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function readPid(file: string): number | null {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

function killAndWait(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const until = Date.now() + 15_000;
  while (Date.now() < until && isAlive(pid)) execFileSync('sleep', ['0.02']);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** Starts all three servers in parallel. */
export async function startAll(): Promise<TestServers> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-servers-'));
  fs.chmodSync(root, 0o755);
  const [redisUrl, mysqlUrl, postgresUrl] = await Promise.all([startRedis(root), startMariaDb(root), startPostgres(root)]);
  return { redisUrl, mysqlUrl, postgresUrl, root };
}

export function stopAll(root: string): void {
  stopRedis(root);
  stopMariaDb(root);
  stopPostgres(root);
  fs.rmSync(root, { recursive: true, force: true });
}

/** Server URLs inside a jest worker (set by the global setup). */
export function testServers(): TestServers {
  const get = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set: run the tests through jest (its global setup starts the servers)`);
    return v;
  };
  return { redisUrl: get(ENV.redis), mysqlUrl: get(ENV.mysql), postgresUrl: get(ENV.postgres), root: get(ENV.root) };
}

/** Port of a URL. */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}
