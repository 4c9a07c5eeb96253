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
import { RedisBackend, SqlBackend, FileBackend, safeState, type StateBackend, type SafeStateDefaults } from '../../lib/index';
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

describe('SAFE_STATE_URL in a fresh process', () => {
  const servers = [
    { scheme: 'redis://', url: () => testServers().redisUrl, open: (u: string) => RedisBackend.fromUrl(u) },
    { scheme: 'postgres://', url: () => testServers().postgresUrl, open: (u: string) => SqlBackend.fromUrl(u) },
    { scheme: 'mysql://', url: () => testServers().mysqlUrl, open: (u: string) => SqlBackend.fromUrl(u) },
  ];

  it.each(servers)('$scheme: a job that names no backend keeps its checkpoint on that server, and the process ends by itself', async ({ url, open }) => {
    const cwd = tempDir('safe-state-env-');
    const name = uniq('server');
    const first = await runChild(cwd, { name, items: 6, failAt: 3, options: { verbose: true } }, { SAFE_STATE_URL: url() });
    expect(first.signal).toBeNull(); // not killed by the hang timer
    expect(first.out.error?.message).toBe('fail at 3');
    expect(first.out.processed).toEqual([0, 1, 2]);
    // the verbose start line names the server without the password
    const u = new URL(url());
    expect(first.stderr).toContain(`[safe-state] starting fresh job '${name}' (checkpoint ${u.protocol}//${u.password ? `${u.username}:***@` : ''}${u.host}`);
    if (u.password) expect(first.stderr).not.toContain(u.password);
    expect(fs.readdirSync(cwd)).toEqual([]); // nothing written to .safe_state
    const backend: StateBackend = open(url());
    try {
      expect(await backend.exists(name)).toBe(true);
      await backend.delete(name);
    } finally {
      await backend.close();
    }
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

describe('SAFE_STATE_DIR in a fresh process', () => {
  it('a cron-style run from another working directory finds an absolute SAFE_STATE_DIR, and the verbose start line shows the absolute checkpoint path', async () => {
    const stateDir = path.join(tempDir('safe-state-env-'), 'state');
    const name = uniq('cron');
    const first = await runChild(tempDir('safe-state-cwd-a-'), { name, items: 5, failAt: 2, options: { verbose: true } }, { SAFE_STATE_DIR: stateDir });
    const file = new FileBackend({ dir: stateDir }).location(name);
    expect(first.out.checkpointPath).toBe(file);
    expect(first.stderr).toContain(`[safe-state] starting fresh job '${name}' (checkpoint ${file})`);
    // configure() (in the child) wins over the environment for what it sets, the environment still decides the rest
    const rerun = await runChild(tempDir('safe-state-cwd-b-'), { name, items: 5, configure: { verbose: true } }, { SAFE_STATE_DIR: stateDir, SAFE_STATE_URL: '' });
    expect(rerun.out.processed).toEqual([2, 3, 4]);
    expect(rerun.stderr).toContain(`[safe-state] resuming '${name}': 2/5 done (run #2)\n`);
  });
});

describe('the command line follows SAFE_STATE_URL', () => {
  it('lists and clears the jobs of the SAFE_STATE_URL backend when no backend option is given', async () => {
    const cwd = tempDir('safe-state-env-');
    const url = testServers().redisUrl;
    const name = uniq('cli');
    const backend = RedisBackend.fromUrl(url);
    try {
      const job = safeState(async (xs: number[]) => {
        for await (const x of xs) if (x === 1) throw new Error('boom');
      }, { name, backend });
      await expect(job([0, 1, 2])).rejects.toThrow('boom');
      const list = await cli(cwd, ['list', '--json'], { SAFE_STATE_URL: url, SAFE_STATE_DIR: '' });
      expect(list.code).toBe(0);
      const out = JSON.parse(list.stdout);
      expect(out.backend.type).toBe('redis');
      expect(out.jobs.map((j: { job: string }) => j.job)).toContain(name);
      const bad = await cli(cwd, ['list'], { SAFE_STATE_URL: 'gopher://user:hunter2secret@x' });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('SAFE_STATE_URL');
      expect(bad.stdout + bad.stderr).not.toContain('hunter2secret');
    } finally {
      await backend.delete(name);
      await backend.close();
    }
  });
});
