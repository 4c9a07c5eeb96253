/**
 * SAFE_STATE_URL and SAFE_STATE_DIR, read by real child processes whose environment is set before
 * safe-state is imported (the way cron and systemd start a job), on the suite's real Redis,
 * PostgreSQL and MariaDB servers: where the checkpoint goes, the precedence of decorator >
 * configure() > environment > built-in default, typed errors for bad URLs and missing drivers,
 * credentials never printed, and processes that end by themselves.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RedisBackend, SqlBackend, FileBackend, type StateBackend, type SafeStateDefaults } from '../../lib/index';
import { tempDir } from '../helpers';
import { testServers } from '../setup/servers';
import { TS_NODE_ANYWHERE, cli } from '../cli/cli-helpers';

const CHILD = path.join(__dirname, '..', 'fixtures', 'config-child.ts');
/** A preload that makes one package look uninstalled (argv: the package name in MISSING_PACKAGE). */
const NO_PACKAGE = path.join(__dirname, '..', 'fixtures', 'missing-package.cjs');

interface ChildSpec {
  name: string;
  items: number;
  failAt?: number;
  options?: Record<string, unknown>;
  configure?: SafeStateDefaults;
  cache?: boolean;
}
interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  out: {
    processed: number[];
    error: { name: string; code?: string; option?: string; message: string } | null;
    checkpointPath: string | null;
    cache: { type: string; dir: string | null } | null;
  };
}

/** Runs the child job in `cwd` with exactly these safe-state variables; it must end by itself. */
function runChild(cwd: string, spec: ChildSpec, env: Record<string, string> = {}, preload: string[] = []): Promise<ChildResult> {
  const base = { ...process.env };
  for (const k of ['SAFE_STATE_URL', 'SAFE_STATE_DIR', 'SAFE_STATE_SECRET']) delete base[k];
  const child = spawn(TS_NODE_ANYWHERE[0], [...preload.flatMap((p) => ['--require', p]), ...TS_NODE_ANYWHERE.slice(1), CHILD], {
    cwd,
    env: { ...base, ...env, CONFIG_CHILD: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // a child that does not end by itself (a connection holding the process) fails the test
  const hung = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(hung);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ status, signal, stderr, out: JSON.parse(line) });
      } catch {
        reject(new Error(`child printed no result (status ${status}, signal ${signal}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

const uniq = (what: string) => `config env ${what} ${process.pid} ${Date.now()}`;

describe('SAFE_STATE_URL', () => {
  const servers = [
    { scheme: 'redis://', url: () => testServers().redisUrl, open: (u: string) => RedisBackend.fromUrl(u) },
    { scheme: 'postgres://', url: () => testServers().postgresUrl, open: (u: string) => SqlBackend.fromUrl(u) },
    { scheme: 'postgresql://', url: () => testServers().postgresUrl.replace(/^postgres:/, 'postgresql:'), open: (u: string) => SqlBackend.fromUrl(u) },
    { scheme: 'mysql://', url: () => testServers().mysqlUrl, open: (u: string) => SqlBackend.fromUrl(u) },
  ];

  it.each(servers)('$scheme: a job that names no backend keeps its checkpoint on that server, resumes there, and the process ends by itself', async ({ url, open }) => {
    const cwd = tempDir('safe-state-env-');
    const name = uniq('server');
    const first = await runChild(cwd, { name, items: 6, failAt: 3 }, { SAFE_STATE_URL: url() });
    expect(first.signal).toBeNull();
    expect(first.out.error?.message).toBe('fail at 3');
    expect(first.out.processed).toEqual([0, 1, 2]);
    const backend: StateBackend = open(url());
    try {
      expect(await backend.exists(name)).toBe(true);
      expect(fs.readdirSync(cwd)).toEqual([]); // nothing written to .safe_state
      const rerun = await runChild(cwd, { name, items: 6 }, { SAFE_STATE_URL: url() });
      expect(rerun.status).toBe(0);
      expect(rerun.out).toMatchObject({ error: null, processed: [3, 4, 5] });
      expect(await backend.exists(name)).toBe(false);
    } finally {
      await backend.close();
    }
  });

  it('sqlite:<path>, file:<dir> and memory: work too, relative paths against the working directory', async () => {
    const cwd = tempDir('safe-state-env-');
    const name = uniq('local');
    const sqlite = await runChild(cwd, { name, items: 5, failAt: 2 }, { SAFE_STATE_URL: 'sqlite:state/jobs.db' });
    expect(sqlite.out.error?.message).toBe('fail at 2');
    const db = SqlBackend.fromUrl(`sqlite:${path.join(cwd, 'state', 'jobs.db')}`);
    try {
      expect(await db.exists(name)).toBe(true);
    } finally {
      await db.close();
    }

    const file = await runChild(cwd, { name, items: 5, failAt: 2 }, { SAFE_STATE_URL: 'file:checkpoints' });
    expect(file.out.checkpointPath).toBe(new FileBackend({ dir: path.join(cwd, 'checkpoints') }).location(name));
    expect(fs.existsSync(file.out.checkpointPath!)).toBe(true);
    expect(fs.existsSync(path.join(cwd, '.safe_state'))).toBe(false);

    const memory = await runChild(cwd, { name: uniq('memory'), items: 5, failAt: 2, cache: true }, { SAFE_STATE_URL: 'memory:' });
    expect(memory.out.error?.message).toBe('fail at 2');
    expect(memory.out.checkpointPath).toBeNull();
    expect(memory.out.cache?.type).toBe('MemoryBackend'); // the default idempotency cache follows it
    expect(fs.readdirSync(cwd).sort()).toEqual(['checkpoints', 'state']);
  });

  it('unknown schemes and malformed URLs fail with InvalidOptionsError naming SAFE_STATE_URL, and never print the password', async () => {
    const cwd = tempDir('safe-state-env-');
    for (const [url, says] of [
      ['ftp://user:hunter2secret@example.com/x', 'unknown backend URL "ftp://user:***@example.com/x"'],
      ['postgres://user:hunter2secret@', 'is not a valid postgres:// URL'],
      ['/var/lib/app/state', 'for a directory write file:/var/lib/app/state'],
      ['sqlite:', 'names no SQLite file'],
    ]) {
      const r = await runChild(cwd, { name: uniq('bad'), items: 3, cache: true }, { SAFE_STATE_URL: url });
      expect(r.out.error).toMatchObject({ name: 'InvalidOptionsError', code: 'INVALID_OPTIONS', option: 'SAFE_STATE_URL' });
      expect(r.out.error!.message).toContain(says);
      expect(r.out.cache).toMatchObject({ error: { option: 'SAFE_STATE_URL' } });
      expect(r.out.processed).toEqual([]);
      expect(JSON.stringify(r.out) + r.stderr).not.toContain('hunter2secret');
    }
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('a missing driver fails with BackendError naming the package to install, without the password', async () => {
    const cwd = tempDir('safe-state-env-');
    const url = testServers().postgresUrl.replace(/\/\/([^:]+):[^@]*@/, '//$1:hunter2secret@');
    const r = await runChild(cwd, { name: uniq('driver'), items: 3 }, { SAFE_STATE_URL: url, MISSING_PACKAGE: 'pg' }, [NO_PACKAGE]);
    expect(r.out.error).toMatchObject({ name: 'BackendError', code: 'BACKEND_ERROR' });
    expect(r.out.error!.message).toMatch(/^SAFE_STATE_URL postgres:\/\/safestate:\*\*\*@.* needs the pg package: npm install pg/);
    expect(JSON.stringify(r.out) + r.stderr).not.toContain('hunter2secret');
  });
});

describe('precedence: decorator > configure() > environment > .safe_state', () => {
  it('each level wins over the ones below it', async () => {
    const cwd = tempDir('safe-state-env-');
    const url = `file:${path.join(cwd, 'from-url')}`;
    const where = (r: ChildResult) => path.relative(cwd, path.dirname(r.out.checkpointPath!));
    // built-in default, then SAFE_STATE_DIR, then SAFE_STATE_URL over SAFE_STATE_DIR
    expect(where(await runChild(cwd, { name: 'p', items: 1, cache: true }))).toBe('.safe_state');
    const dirOnly = await runChild(cwd, { name: 'p', items: 1, cache: true }, { SAFE_STATE_DIR: 'from-env-dir' });
    expect(where(dirOnly)).toBe('from-env-dir');
    expect(dirOnly.out.cache?.type).toBe('FileBackend');
    const both = { SAFE_STATE_DIR: 'from-env-dir', SAFE_STATE_URL: url };
    expect(where(await runChild(cwd, { name: 'p', items: 1 }, both))).toBe('from-url');
    // configure() over the environment (stateDir and backend), then the decorator over configure()
    expect(where(await runChild(cwd, { name: 'p', items: 1, configure: { stateDir: 'from-configure' } }, both))).toBe('from-configure');
    expect(where(await runChild(cwd, { name: 'p', items: 1, configure: { backend: `file:${path.join(cwd, 'configured-url')}` } }, both))).toBe('configured-url');
    const decorated = { name: 'p', items: 1, options: { stateDir: 'from-decorator' }, configure: { backend: 'memory:', stateDir: 'from-configure' } };
    expect(where(await runChild(cwd, decorated, both))).toBe('from-decorator');
    const memory = await runChild(cwd, { name: 'p', items: 1, options: { backend: 'memory' }, configure: { stateDir: 'from-configure' } }, both);
    expect(memory.out.checkpointPath).toBeNull();
  });

  it('a cron-style run from another working directory finds an absolute SAFE_STATE_DIR, and the verbose start line shows the absolute checkpoint path', async () => {
    const stateDir = path.join(tempDir('safe-state-env-'), 'state');
    const name = uniq('cron');
    const first = await runChild(tempDir('safe-state-cwd-a-'), { name, items: 5, failAt: 2, options: { verbose: true } }, { SAFE_STATE_DIR: stateDir });
    const file = new FileBackend({ dir: stateDir }).location(name);
    expect(first.out.checkpointPath).toBe(file);
    expect(first.stderr).toContain(`[safe-state] starting fresh job '${name}' (checkpoint ${file})`);
    const rerun = await runChild(tempDir('safe-state-cwd-b-'), { name, items: 5, options: { verbose: true } }, { SAFE_STATE_DIR: stateDir });
    expect(rerun.out.processed).toEqual([2, 3, 4]);
    expect(rerun.stderr).toContain(`[safe-state] resuming '${name}': 2/5 done (run #2) (checkpoint ${file})`);
  });

  it('the verbose start line names a server backend by its URL without the password', async () => {
    const url = testServers().mysqlUrl;
    const r = await runChild(tempDir('safe-state-env-'), { name: uniq('verbose server'), items: 2, configure: { verbose: true } }, { SAFE_STATE_URL: url });
    expect(r.status).toBe(0);
    const password = new URL(url).password;
    expect(r.stderr).toContain(`(checkpoint ${new URL(url).protocol}//${new URL(url).username}:***@`);
    expect(r.stderr).not.toContain(password);
  });
});

describe('the command line follows SAFE_STATE_URL', () => {
  it('lists the jobs of the SAFE_STATE_URL backend when no backend option is given', async () => {
    const cwd = tempDir('safe-state-env-');
    const url = testServers().redisUrl;
    const name = uniq('cli');
    await runChild(cwd, { name, items: 4, failAt: 1 }, { SAFE_STATE_URL: url });
    const list = await cli(cwd, ['list', '--json'], { SAFE_STATE_URL: url });
    expect(list.code).toBe(0);
    const out = JSON.parse(list.stdout);
    expect(out.backend.type).toBe('redis');
    expect(out.jobs.map((j: { name: string }) => j.name)).toContain(name);
    const cleared = await cli(cwd, ['clear', name], { SAFE_STATE_URL: url });
    expect(cleared.code).toBe(0);
    const bad = await cli(cwd, ['list'], { SAFE_STATE_URL: 'gopher://user:hunter2secret@x' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('SAFE_STATE_URL');
    expect(bad.stdout + bad.stderr).not.toContain('hunter2secret');
  });
});
