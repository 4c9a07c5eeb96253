/**
 * The FileBackend against a hostile or careless state directory: links planted at the names it
 * writes (all predictable: the pid is published in the lock's owner record), a state directory
 * others can write to, a directory it cannot use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FileBackend, safeState, BackendError } from '../../lib/index';
import { runCli } from '../../lib/cli/run-cli';
import { range, tempDir, TS_NODE } from '../helpers';
import { TS_NODE_ANYWHERE } from '../cli/cli-helpers';

const mode = (p: string) => fs.lstatSync(p).mode & 0o777;
const REPO = path.resolve(__dirname, '../..');

function failingJob(stateDir: string, name = 'fails') {
  return safeState(async (xs: number[]) => {
    for (const x of xs) if (x === 2) throw new Error('boom');
  }, { name, stateDir });
}

async function cliList(dir: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['list', '--dir', dir], {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    now: () => new Date(),
  });
  return { code, out, err };
}

const VICTIM_TEXT = 'precious data, not a checkpoint\n';

/** A file outside the state directory that a planted link points at. */
function victim(): { file: string; unchanged(): void } {
  const file = path.join(tempDir('safe-state-victim-'), 'victim.txt');
  fs.writeFileSync(file, VICTIM_TEXT, { mode: 0o644 });
  return {
    file,
    unchanged: () => {
      expect(fs.readFileSync(file, 'utf8')).toBe(VICTIM_TEXT);
      expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    },
  };
}

describe('FileBackend never writes through a planted symbolic link', () => {
  it('at the temporary file <file>.<pid>.tmp, planted during a run (the full rewrite of a failure save)', async () => {
    const dir = path.join(tempDir(), 'state');
    const v = victim();
    const backend = new FileBackend({ dir });
    const tmp = `${backend.location('tmp-link')}.${process.pid}.tmp`;
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) {
        if (x === 2) {
          fs.symlinkSync(v.file, tmp);
          throw new Error('boom');
        }
      }
    }, { name: 'tmp-link', backend });
    await expect(job(range(5))).rejects.toThrow('boom');
    v.unchanged();
    // the checkpoint itself was written, as a file of its own
    const cp = await job.peekCheckpoint();
    expect(cp!.completedIndices.size).toBe(2);
    expect(fs.lstatSync(backend.location('tmp-link')).isFile()).toBe(true);
  });

  it('at the lock claim files <file>.lock.claim-<pid>-<n>', async () => {
    const dir = path.join(tempDir(), 'state');
    fs.mkdirSync(dir, { mode: 0o700 });
    const v = victim();
    const backend = new FileBackend({ dir });
    const file = backend.location('claim-link');
    for (let n = 1; n <= 200; n++) fs.symlinkSync(v.file, `${file}.lock.claim-${process.pid}-${n}`);
    const seen: number[] = [];
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) seen.push(x);
    }, { name: 'claim-link', backend });
    await job(range(3));
    expect(seen).toEqual([0, 1, 2]);
    v.unchanged();
  });

  it('at the checkpoint file, planted before the first append: the append fails with BackendError', async () => {
    const dir = path.join(tempDir(), 'state');
    const v = victim();
    const backend = new FileBackend({ dir });
    const file = backend.location('append-link');
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) {
        if (x === 0) {
          fs.unlinkSync(file);
          fs.symlinkSync(v.file, file);
        }
      }
    }, { name: 'append-link', backend });
    const err = await job(range(4)).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain(file);
    v.unchanged();
  });

  it('at the checkpoint file, planted before the run: the load fails with BackendError naming the link', async () => {
    const dir = path.join(tempDir(), 'state');
    fs.mkdirSync(dir, { mode: 0o700 });
    const v = victim();
    const backend = new FileBackend({ dir });
    const file = backend.location('load-link');
    fs.symlinkSync(v.file, file);
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'load-link', backend });
    const err = await job(range(4)).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/symbolic link/);
    v.unchanged();
  });

  it('at the lock owner record: the heartbeat and the release leave the target alone', async () => {
    const dir = path.join(tempDir(), 'state');
    const v = victim();
    const before = fs.statSync(v.file).mtimeMs;
    const backend = new FileBackend({ dir, staleMs: 750 }); // heartbeat every 250 ms
    const file = backend.location('owner-link');
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) {
        if (x === 0) {
          const owner = `${file}.lock/owner.json`;
          fs.renameSync(owner, `${owner}.real`);
          fs.symlinkSync(v.file, owner);
          await new Promise((r) => setTimeout(r, 700));
        }
      }
    }, { name: 'owner-link', backend });
    await job(range(2)).catch(() => undefined);
    v.unchanged();
    expect(fs.statSync(v.file).mtimeMs).toBe(before);
  });
});

describe('the state directory', () => {
  it('is created 0700 with each parent safe-state creates, holding a .gitignore of "*" (0600) that listings ignore', async () => {
    const root = tempDir();
    const dir = path.join(root, 'a', 'b', 'state');
    await expect(failingJob(dir)(range(5))).rejects.toThrow('boom');
    for (const d of [path.join(root, 'a'), path.join(root, 'a', 'b'), dir]) expect(mode(d)).toBe(0o700);
    const gitignore = path.join(dir, '.gitignore');
    expect(fs.readFileSync(gitignore, 'utf8').split('\n')).toContain('*');
    expect(mode(gitignore)).toBe(0o600);
    expect(await new FileBackend({ dir }).list()).toEqual(['fails']);
    const listed = await cliList(dir);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('fails');
    expect(listed.out + listed.err).not.toContain('gitignore');
  });

  it('keeps `git add -A` from picking up checkpoints', async () => {
    const git = spawnSync('git', ['--version']);
    if (git.status !== 0) return; // no git here
    const repo = tempDir('safe-state-git-');
    const run = (...args: string[]) => spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo, encoding: 'utf8' });
    expect(run('init', '-q').status).toBe(0);
    fs.writeFileSync(path.join(repo, 'app.ts'), 'export {};\n');
    await expect(failingJob(path.join(repo, '.safe_state'), 'git-job')(range(5))).rejects.toThrow('boom');
    expect(fs.readdirSync(path.join(repo, '.safe_state')).some((f) => f.endsWith('.safestate'))).toBe(true);
    expect(run('add', '-A').status).toBe(0);
    expect(run('status', '--porcelain').stdout.split('\n').filter(Boolean)).toEqual(['A  app.ts']);
  });

  it('leaves an existing private directory as it is (no .gitignore added)', async () => {
    const dir = path.join(tempDir(), 'state');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    await expect(failingJob(dir)(range(5))).rejects.toThrow('boom');
    expect(fs.existsSync(path.join(dir, '.gitignore'))).toBe(false);
    expect(mode(dir)).toBe(0o755);
  });

  it.each([
    ['world-writable', 0o777, /writable by everyone \(mode 0777\).*chmod 700/],
    ['group-writable', 0o770, /writable by its group \(mode 0770\).*chmod 700/],
  ])('refuses an existing %s directory with BackendError naming it and the fix', async (_label, m, pattern) => {
    const dir = path.join(tempDir(), 'state');
    fs.mkdirSync(dir);
    fs.chmodSync(dir, m);
    const err = await failingJob(dir)(range(5)).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('BACKEND_ERROR');
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(pattern);
    expect(fs.readdirSync(dir)).toEqual([]); // nothing written there
  });

  it('refuses a state directory that is a symbolic link', async () => {
    const root = tempDir();
    const real = path.join(root, 'real');
    fs.mkdirSync(real, { mode: 0o700 });
    const link = path.join(root, 'state');
    fs.symlinkSync(real, link);
    const err = await failingJob(link)(range(5)).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain(link);
    expect(err.message).toMatch(/symbolic link/);
    expect(fs.readdirSync(real)).toEqual([]);
  });

  const asRoot = process.getuid?.() === 0 ? it : it.skip;

  asRoot('refuses a directory owned by another user', async () => {
    const dir = path.join(tempDir(), 'state');
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chownSync(dir, 65534, 65534);
    const err = await failingJob(dir)(range(5)).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/belongs to uid 65534/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('permission errors on the state directory', () => {
  it('EPERM where the directory cannot be made (/sys) is a BackendError naming the path', async () => {
    const dir = '/sys/safe-state-test/state';
    const err = await failingJob(dir)(range(3)).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain(dir);
  });

  it('a directory that cannot be made under /proc fails at once with BackendError (it used to hang)', () => {
    // a child process: the hang was a synchronous loop (Node's recursive mkdir), no timer could end it
    const dir = '/proc/safe-state-test/state';
    const r = spawnSync(TS_NODE[0], [...TS_NODE.slice(1), '-e', jobScript('proc', dir)], { encoding: 'utf8', cwd: REPO, timeout: 30_000 });
    expect(r.signal).toBeNull(); // not killed by the timeout
    const out = JSON.parse(r.stdout.trim()) as { name: string; message: string };
    expect(out.name).toBe('BackendError');
    expect(out.message).toContain(dir);
  }, 60_000);

  // root passes permission checks: the job runs as another user (nobody) in a child process
  asRootChild('EACCES in a directory this user cannot write is a BackendError naming the path', () => {
    const dir = path.join(tempDir(), 'state');
    fs.mkdirSync(dir, { mode: 0o500 });
    fs.chownSync(dir, 65534, 65534);
    fs.chmodSync(path.dirname(dir), 0o755);
    // tsx keeps its cache under the temporary directory: give nobody one of its own (a machine's
    // /tmp may be 0755, where nobody cannot create it)
    const tmp = tempDir();
    fs.chownSync(tmp, 65534, 65534);
    const env = { ...process.env, TMPDIR: tmp };
    const r = spawnSync(TS_NODE[0], [...TS_NODE.slice(1), '-e', jobScript('eacces', dir)], { encoding: 'utf8', uid: 65534, gid: 65534, cwd: REPO, env, timeout: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim()) as { name: string; code: string; message: string };
    expect(out).toMatchObject({ name: 'BackendError', code: 'BACKEND_ERROR' });
    expect(out.message).toContain(dir);
    expect(out.message).toMatch(/EACCES/);
  });
});

function asRootChild(name: string, fn: () => void): void {
  (process.getuid?.() === 0 ? it : it.skip)(name, fn, 90_000);
}

/** A child's script: runs a job in `stateDir` and prints what came of it as JSON. */
function jobScript(name: string, stateDir: string): string {
  return `
    const { safeState } = require(${JSON.stringify(path.join(REPO, 'lib/index'))});
    safeState(async (xs) => { for (const x of xs) void x; }, { name: ${JSON.stringify(name)}, stateDir: ${JSON.stringify(stateDir)} })([1])
      .then(() => console.log(JSON.stringify({ ran: true })), (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })));
  `;
}

describe('SAFE_STATE_DIR', () => {
  it('sets the default state directory of jobs and of the CLI (absolute, or relative to the working directory)', () => {
    const root = tempDir();
    const elsewhere = path.join(root, 'cwd');
    fs.mkdirSync(elsewhere);
    const abs = path.join(root, 'abs-state');
    const script = `
      const { safeState } = require(${JSON.stringify(path.join(REPO, 'lib/index'))});
      const job = safeState(async (xs) => { for (const x of xs) if (x === 1) throw new Error('boom'); }, { name: 'env-dir' });
      job([0, 1, 2]).catch(() => console.log(job.checkpointPath));
    `;
    const run = (env: string) =>
      spawnSync(TS_NODE_ANYWHERE[0], [...TS_NODE_ANYWHERE.slice(1), '-e', script], { encoding: 'utf8', cwd: elsewhere, env: { ...process.env, SAFE_STATE_DIR: env }, timeout: 60_000 });
    const a = run(abs);
    expect(a.stderr).toBe('');
    expect(path.dirname(a.stdout.trim())).toBe(abs);
    expect(fs.readdirSync(abs).some((f) => f.endsWith('.safestate'))).toBe(true);
    const r = run('rel/state');
    expect(path.dirname(r.stdout.trim())).toBe(path.join(elsewhere, 'rel', 'state'));
    expect(fs.existsSync(path.join(elsewhere, '.safe_state'))).toBe(false);
    const cli = spawnSync(TS_NODE_ANYWHERE[0], [...TS_NODE_ANYWHERE.slice(1), path.join(REPO, 'lib/cli/main.ts'), 'list', '--json'], {
      encoding: 'utf8', cwd: elsewhere, env: { ...process.env, SAFE_STATE_DIR: abs }, timeout: 60_000,
    });
    expect(cli.stdout).toContain('env-dir');
  }, 120_000);
});
