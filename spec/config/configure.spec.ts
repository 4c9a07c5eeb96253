/**
 * configure(): process-wide defaults for the options a job leaves out, their validation, merging
 * and restoring, and the precedence withBackend() > decorator > configure() > environment >
 * built-in default for the backend (the environment is read at each job call, so it is set here
 * in-process; spec/config/environment.spec.ts sets it before import in child processes).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  configure, safeState, withBackend, MemoryBackend, FileBackend, RedisBackend, SqlBackend, IdempotencyCache, InvalidOptionsError,
  CheckpointCorruptError, type SafeStateLogger, type SafeStateOptions,
} from '../../lib/index';
import { defaultStateDir } from '../../lib/util/default-state-dir';
import { closeUrlBackends } from '../../lib/config/default-backend';
import { tempDir, range } from '../helpers';
import { testServers } from '../setup/servers';

const ENV_KEYS = ['SAFE_STATE_URL', 'SAFE_STATE_DIR', 'SAFE_STATE_SECRET'] as const;
let savedEnv: Record<string, string | undefined>;
let savedCwd: string;
const restores: (() => void)[] = [];
/** configure() for one test: undone after it. */
const configureForTest = (d: Parameters<typeof configure>[0]) => restores.push(configure(d));

beforeEach(() => {
  savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  savedCwd = process.cwd();
  process.chdir(tempDir('safe-state-configure-'));
});
afterAll(() => closeUrlBackends()); // the servers stop after the tests: no client may be left retrying

afterEach(() => {
  while (restores.length) restores.pop()!();
  for (const k of ENV_KEYS) if (savedEnv[k] === undefined) delete process.env[k]; else process.env[k] = savedEnv[k];
  process.chdir(savedCwd);
});

/** A job failing at item `failAt` of 0..n-1; returns the items its body ran. */
function failingJob(name: string, options: SafeStateOptions = {}) {
  const seen: number[] = [];
  const job = safeState(async (xs: number[], failAt = -1) => {
    for await (const x of xs) {
      if (x === failAt) throw new Error(`fail at ${x}`);
      seen.push(x);
    }
  }, { ...options, name });
  return { job, seen };
}

function lines(): SafeStateLogger & { lines: string[] } {
  const out: string[] = [];
  return { lines: out, info: (m) => out.push(m), warn: (m) => out.push(`warn: ${m}`) };
}

describe('configure(defaults)', () => {
  it('fills the options a job leaves out, and the job\'s own options win', async () => {
    const log = lines();
    configureForTest({ verbose: log, backend: new MemoryBackend() });
    const { job } = failingJob('configured verbose');
    await job(range(2));
    expect(log.lines[0]).toBe("starting fresh job 'configured verbose' (checkpoint MemoryBackend)");
    const quiet = failingJob('own verbose', { verbose: false });
    await quiet.job(range(2));
    expect(log.lines.join('\n')).not.toContain('own verbose');
  });

  it('saveEvery and keepOnSuccess reach the job', async () => {
    let saves = 0;
    class Counting extends MemoryBackend {
      override async save(name: string, text: string) {
        saves++;
        return super.save(name, text);
      }
      override saveSync(name: string, text: string) {
        saves++;
        super.saveSync(name, text);
      }
      override async append(name: string, records: string) {
        saves++;
        return super.append(name, records);
      }
      override appendSync(name: string, records: string) {
        saves++;
        super.appendSync(name, records);
      }
    }
    const backend = new Counting();
    const base = () => { saves = 0; };
    const { job } = failingJob('save every', { backend });
    base();
    await job(range(20));
    const perItem = saves;
    configureForTest({ saveEvery: 10, keepOnSuccess: true });
    base();
    await job(range(20));
    expect(saves).toBeLessThan(perItem / 3);
    expect(await backend.exists('save every')).toBe(true); // kept on success
  });

  it('a configured secret signs checkpoints, and wins over SAFE_STATE_SECRET', async () => {
    const backend = new MemoryBackend();
    process.env.SAFE_STATE_SECRET = 'environment-secret-0123456789';
    configureForTest({ secret: 'configured-secret-0123456789' });
    const { job } = failingJob('signed', { backend });
    await expect(job(range(5), 2)).rejects.toThrow('fail at 2');
    restores.pop()!(); // back to the environment's secret: the signature no longer verifies
    await expect(job(range(5))).rejects.toBeInstanceOf(CheckpointCorruptError);
  });

  it('merges with earlier calls; undefined removes a default; the returned function restores the previous defaults', async () => {
    const a = new MemoryBackend();
    const b = new MemoryBackend();
    const { job } = failingJob('merging');
    const log = lines();
    const undoFirst = configure({ backend: a, verbose: log });
    try {
      const undoSecond = configure({ backend: b });
      await expect(job(range(3), 1)).rejects.toThrow();
      expect(await b.exists('merging')).toBe(true);
      expect(log.lines.length).toBeGreaterThan(0); // verbose kept from the first call
      undoSecond();
      undoSecond(); // twice is once
      await expect(job(range(3), 1)).rejects.toThrow();
      expect(await a.exists('merging')).toBe(true);
      const undoThird = configure({ verbose: undefined });
      const n = log.lines.length;
      await expect(job(range(3), 1)).rejects.toThrow();
      expect(log.lines.length).toBe(n);
      undoThird();
    } finally {
      undoFirst();
    }
    expect(defaultStateDir()).toBe('.safe_state');
  });

  it.each<[string, unknown, string, RegExp]>([
    ['an unknown option', { stateDirectory: 'x' }, 'stateDirectory', /unknown option for configure \(it takes backend, stateDir, /],
    ['an option of one job', { name: 'x' }, 'name', /describes one job, not the process/],
    ['an invalid value', { saveEvery: 0 }, 'saveEvery', /must be an integer >= 1/],
    ['a short secret', { secret: 'short' }, 'secret', /at least 16 characters/],
    ['a frozen function', { frozen: () => ({}) }, 'frozen', /belongs to the job's decorator/],
    ['a non-backend', { backend: { load() {} } }, 'backend', /must be a StateBackend/],
    ['an unknown URL scheme', { backend: 'ftp://u:hunter2secret@h/x' }, 'backend', /unknown backend URL "ftp:\/\/u:\*\*\*@h\/x"/],
    ['a malformed URL', { backend: 'redis://u:hunter2secret@' }, 'backend', /is not a valid redis:\/\/ URL/],
    ['a path without file:', { backend: '/var/lib/app' }, 'backend', /for a directory write file:\/var\/lib\/app/],
    ['not an object', 'redis://x', 'options', /takes an object/],
  ])('refuses %s with InvalidOptionsError naming the option', (_what, defaults, option, message) => {
    let error: unknown;
    try {
      configure(defaults as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).option).toBe(option);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2secret');
    expect(defaultStateDir()).toBe('.safe_state'); // nothing was set
  });
});

describe('the default backend: withBackend > decorator > configure() > environment > .safe_state', () => {
  const where = (job: { checkpointPath: string | null }) => (job.checkpointPath ? path.relative(process.cwd(), path.dirname(job.checkpointPath)) : null);

  it('each level wins over the ones below it', async () => {
    const { job } = failingJob('precedence');
    expect(where(job)).toBe('.safe_state');
    process.env.SAFE_STATE_DIR = 'env-dir';
    expect(where(job)).toBe('env-dir');
    expect(defaultStateDir()).toBe('env-dir');
    process.env.SAFE_STATE_URL = 'file:env-url';
    expect(where(job)).toBe('env-url'); // SAFE_STATE_URL over SAFE_STATE_DIR
    configureForTest({ stateDir: 'configured-dir' });
    expect(where(job)).toBe('configured-dir'); // configure over the environment
    expect(defaultStateDir()).toBe('configured-dir');
    configureForTest({ backend: 'file:configured-url' });
    expect(where(job)).toBe('configured-url'); // a configured backend over a configured stateDir
    const own = failingJob('precedence', { stateDir: 'decorator-dir' }).job;
    expect(where(own)).toBe('decorator-dir'); // the decorator over configure
    const mem = new MemoryBackend();
    const ownBackend = failingJob('precedence', { backend: mem }).job;
    expect(ownBackend.checkpointPath).toBeNull();
    const scoped = new FileBackend({ dir: 'scoped-dir' });
    expect(withBackend(scoped, () => where(own))).toBe('scoped-dir'); // withBackend over all
    expect(withBackend(scoped, () => where(ownBackend))).toBe('scoped-dir');
    // the jobs really write there
    await expect(own(range(3), 1)).rejects.toThrow();
    await expect(job(range(3), 1)).rejects.toThrow();
    await expect(withBackend(scoped, () => ownBackend(range(3), 1))).rejects.toThrow();
    expect(fs.readdirSync('.').sort()).toEqual(['configured-url', 'decorator-dir', 'scoped-dir']);
  });

  it('memory: is one backend per process, shared by jobs and default idempotency caches', async () => {
    configureForTest({ backend: 'memory:' });
    const { job, seen } = failingJob('memory url');
    await expect(job(range(4), 2)).rejects.toThrow();
    const again = failingJob('memory url');
    await again.job(range(4));
    expect(again.seen).toEqual([2, 3]); // resumed from the same MemoryBackend
    expect(seen).toEqual([0, 1]);
    const cache = new IdempotencyCache();
    expect(cache.backend).toBeInstanceOf(MemoryBackend);
    const scoped = new MemoryBackend();
    expect(withBackend(scoped, () => new IdempotencyCache().backend)).toBe(scoped);
    expect(new IdempotencyCache({ backend: scoped }).backend).toBe(scoped);
    expect(fs.readdirSync('.')).toEqual([]);
  });

  it('sqlite:<relative path> opens the database there (one backend per URL)', async () => {
    process.env.SAFE_STATE_URL = `sqlite:jobs-${process.pid}.db`;
    const { job } = failingJob('sqlite url');
    await expect(job(range(4), 1)).rejects.toThrow('fail at 1');
    const db = SqlBackend.fromUrl(`sqlite:${path.resolve(`jobs-${process.pid}.db`)}`);
    try {
      expect(await db.exists('sqlite url')).toBe(true);
    } finally {
      await db.close();
    }
    const { job: again, seen } = failingJob('sqlite url');
    await again(range(4));
    expect(seen).toEqual([1, 2, 3]);
  });

  it.each([
    ['redis', () => testServers().redisUrl, (u: string) => RedisBackend.fromUrl(u)],
    ['postgres', () => testServers().postgresUrl, (u: string) => SqlBackend.fromUrl(u)],
    ['mysql', () => testServers().mysqlUrl, (u: string) => SqlBackend.fromUrl(u)],
  ] as const)('configure({ backend: %s URL }) keeps checkpoints on the server', async (_kind, url, open) => {
    configureForTest({ backend: url() });
    const name = `configure url ${_kind} ${process.pid} ${Date.now()}`;
    const { job } = failingJob(name);
    await expect(job(range(4), 2)).rejects.toThrow('fail at 2');
    const check = open(url());
    try {
      expect(await check.exists(name)).toBe(true);
      const { job: again, seen } = failingJob(name);
      await again(range(4));
      expect(seen).toEqual([2, 3]);
      expect(await check.exists(name)).toBe(false);
    } finally {
      await check.close();
    }
  });

  it('an invalid SAFE_STATE_URL fails each job call with InvalidOptionsError naming it', async () => {
    process.env.SAFE_STATE_URL = 'mongodb://admin:hunter2secret@db/x';
    const { job, seen } = failingJob('bad env url');
    const error = await job(range(2)).catch((e: unknown) => e);
    expect(InvalidOptionsError.is(error)).toBe(true);
    expect((error as InvalidOptionsError).option).toBe('SAFE_STATE_URL');
    expect((error as Error).message).toContain('mongodb://admin:***@db/x');
    expect((error as Error).message).not.toContain('hunter2secret');
    expect(seen).toEqual([]);
    // a configured stateDir (or backend) means the environment's URL is not read at all
    configureForTest({ stateDir: 'fine' });
    await job(range(2));
    expect(seen).toEqual([0, 1]);
  });
});
