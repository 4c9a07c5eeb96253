import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { FileBackend, safeState, CheckpointCorruptError, JobLockedError, InvalidOptionsError, BackendError } from '../../lib/index';
import { range, tempDir, TS_NODE } from '../helpers';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

function failingJob(dir: string, name: string, failAt: number) {
  return safeState(async (xs: number[]) => {
    for (const x of xs) if (x === failAt) throw new Error('f');
  }, { name, stateDir: dir });
}

describe('FileBackend files', () => {
  it('creates the directory 0700 and files 0600, named <slug>-<hash>.safestate', async () => {
    const dir = path.join(tempDir(), 'state');
    const job = failingJob(dir, 'image-scrape', 3);
    await expect(job(range(5))).rejects.toThrow('f');
    expect(mode(dir)).toBe(0o700);
    const files = fs.readdirSync(dir).filter((f) => f !== '.gitignore'); // written when the directory is made
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^image-scrape-[0-9a-f]{12}\.safestate$/);
    expect(mode(path.join(dir, files[0]))).toBe(0o600);
    expect(job.checkpointPath).toBe(path.join(dir, files[0]));
  });

  it('never writes outside the state directory, whatever the job name', async () => {
    const root = tempDir();
    const dir = path.join(root, 'state');
    const names = ['../escape', '../../etc/passwd', 'a/b/c', '..', '.', 'nul\0byte', 'back\\slash', 'x'.repeat(5000), 'ünïcødé ✓', 'CON', ''.padEnd(300, '/')];
    for (const name of names) {
      const job = failingJob(dir, name, 1);
      await expect(job(range(3))).rejects.toThrow('f');
      expect(path.dirname(job.checkpointPath!)).toBe(dir);
      expect(path.basename(job.checkpointPath!).length).toBeLessThan(100);
      const cp = await job.peekCheckpoint();
      expect(cp!.jobName).toBe(name);
    }
    expect(fs.readdirSync(root)).toEqual(['state']);
    const backend = new FileBackend({ dir });
    expect((await backend.list()).sort()).toEqual([...names].sort());
    expect(new Set(fs.readdirSync(dir).filter((f) => f !== '.gitignore')).size).toBe(names.length);
  });

  it('distinguishes names that differ only in case', async () => {
    const b = new FileBackend({ dir: tempDir() });
    expect(b.location('Job')).not.toBe(b.location('job'));
    expect(path.basename(b.location('Job')).toLowerCase()).not.toBe(path.basename(b.location('job')).toLowerCase());
  });

  it('validates its options', () => {
    expect(() => new FileBackend({ dir: '' })).toThrow(InvalidOptionsError);
    expect(() => new FileBackend({ staleMs: -1 })).toThrow(InvalidOptionsError);
  });
});

describe('FileBackend damage', () => {
  async function setup(name: string) {
    const dir = tempDir();
    const job = failingJob(dir, name, 4);
    await expect(job(range(8))).rejects.toThrow('f');
    return { dir, job, file: job.checkpointPath! };
  }

  it('rejects garbage with CheckpointCorruptError naming the job and location, and keeps the file', async () => {
    const { job, file } = await setup('garbage');
    fs.writeFileSync(file, 'hello, I am not a checkpoint\n');
    const err = await job(range(8)).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    expect(err.code).toBe('CHECKPOINT_CORRUPT');
    expect(err.jobName).toBe('garbage');
    expect(err.message).toContain(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('hello, I am not a checkpoint\n');
    await expect(job.peekCheckpoint()).rejects.toBeInstanceOf(CheckpointCorruptError);
  });

  it('rejects an empty file and damage in the middle', async () => {
    const { job, file } = await setup('middle');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    lines[1] = lines[1].replace('"runs":1', '"runs":7'); // checksum no longer matches
    fs.writeFileSync(file, lines.join('\n') + 'xx\n'); // and a valid-looking tail after it
    fs.appendFileSync(file, fs.readFileSync(file, 'utf8').split('\n')[2] + '\n');
    await expect(job(range(8))).rejects.toThrow(/checksum mismatch/);
    fs.writeFileSync(file, '');
    await expect(job(range(8))).rejects.toThrow(/empty/);
  });

  it('ignores a torn final record (the trace of a crash) and resumes', async () => {
    const { job, file } = await setup('torn');
    fs.appendFileSync(file, '1234abcd +4-5 17');
    const cp = await job.peekCheckpoint();
    expect(cp!.completedIndices.size).toBe(4);
    const seen: number[] = [];
    const resume = safeState(async (xs: number[]) => {
      for (const x of xs) seen.push(x);
    }, { name: 'torn', stateDir: path.dirname(file) });
    await resume(range(8));
    expect(seen).toEqual([4, 5, 6, 7]);
  });

  it('refuses data written by a newer format version with a clear error', async () => {
    const { job, file } = await setup('newer');
    const text = fs.readFileSync(file, 'utf8').replace(/^safestate-journal 1 /, 'safestate-journal 9 ');
    fs.writeFileSync(file, text);
    await expect(job(range(8))).rejects.toThrow(/newer safe-state.*upgrade/);
  });

  it('reports an unreadable directory as BackendError', async () => {
    const root = tempDir();
    const file = path.join(root, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const job = failingJob(path.join(file, 'state'), 'nodir', 1);
    await expect(job(range(3))).rejects.toBeInstanceOf(BackendError);
  });
});

describe('FileBackend locking', () => {
  const holderScript = path.resolve(__dirname, '../fixtures/lock-holder.ts');

  it('a second concurrent run fails fast with JobLockedError naming the holder', async () => {
    const dir = tempDir();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) if (x === 0) await gate;
    }, { name: 'locked', stateDir: dir });
    const first = job(range(3));
    await new Promise((r) => setTimeout(r, 50));
    const err = await job(range(3)).catch((e) => e);
    expect(err).toBeInstanceOf(JobLockedError);
    expect(err.code).toBe('JOB_LOCKED');
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.holder.pid).toBe(process.pid);
    release();
    await first;
    await job(range(3)); // released afterwards
  });

  it('takes over at once the lock of a holder process that was killed', async () => {
    const dir = tempDir();
    const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), holderScript, dir, 'taken-over'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('holding') && resolve());
      child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
    });
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'taken-over', stateDir: dir });
    await expect(job([1])).rejects.toBeInstanceOf(JobLockedError);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const t0 = Date.now();
    await job([1]);
    expect(Date.now() - t0).toBeLessThan(2000); // no stale wait for a dead local holder
  });

  it('does not take over the lock of a live holder even when it is old', () => {
    const dir = tempDir();
    const backend = new FileBackend({ dir, staleMs: 1 });
    const file = backend.location('old');
    fs.mkdirSync(`${file}.lock`, { recursive: true });
    // pid 1 is alive on this host: an old heartbeat does not make it stale
    fs.writeFileSync(`${file}.lock/owner.json`, JSON.stringify({ pid: 1, host: require('node:os').hostname(), since: 0, startTime: null }));
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(`${file}.lock/owner.json`, old, old);
    const r = spawnSync(TS_NODE[0], [...TS_NODE.slice(1), '-e', `
      const { safeState } = require(${JSON.stringify(path.resolve(__dirname, '../../lib/index'))});
      safeState(async (xs) => { for (const x of xs) void x; }, { name: 'old', stateDir: ${JSON.stringify(dir)} })([1])
        .then(() => console.log('ran'), (e) => console.log(e.code));
    `], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('JOB_LOCKED');
  });

  it('takes over a holder on another host once its heartbeat is older than staleMs', async () => {
    const dir = tempDir();
    const backend = new FileBackend({ dir, staleMs: 500 });
    const file = backend.location('remote');
    fs.mkdirSync(`${file}.lock`, { recursive: true });
    fs.writeFileSync(`${file}.lock/owner.json`, JSON.stringify({ pid: 4242, host: 'elsewhere.example', since: Date.now(), startTime: null }));
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'remote', backend });
    await expect(job([1])).rejects.toMatchObject({ code: 'JOB_LOCKED', holder: { host: 'elsewhere.example' } });
    const old = new Date(Date.now() - 1000);
    fs.utimesSync(`${file}.lock/owner.json`, old, old);
    await job([1]);
  });

  it('keeps its own owner record fresh from a thread while the job blocks the event loop (so another host does not take over)', async () => {
    const dir = tempDir();
    const backend = new FileBackend({ dir, staleMs: 1_500 }); // a heartbeat every 500 ms
    const owner = `${backend.location('busy')}.lock/owner.json`;
    const seen: number[] = [];
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) {
        void x;
        const stale = new Date(Date.now() - 10_000);
        fs.utimesSync(owner, stale, stale); // as if no heartbeat had run for 10 s
        const until = Date.now() + 2_500;
        while (Date.now() < until); // synchronous: no timer of this thread runs meanwhile
        seen.push(Date.now() - fs.statSync(owner).mtimeMs);
      }
    }, { name: 'busy', backend });
    await job([1]);
    // touched by the heartbeat thread during the block: younger than staleMs, so not taken for stale
    expect(seen[0]).toBeLessThan(1_500);
  });
});
