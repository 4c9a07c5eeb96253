/**
 * The image-downloads sample, run the way a user runs it: as a child process (tsx) in a fresh
 * working directory, twice. These tests pin the verbose output of SPEC §11 and the resume
 * guarantee end to end (a real FileBackend in `./.safe_state`, real process exits and kills).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../helpers';
import { freshLine } from './sample-runner';

const REPO = path.resolve(__dirname, '..', '..');
const SAMPLE = path.join(REPO, 'samples', 'image-downloads', 'download-images.ts');
const TSX_DIR = path.dirname(require.resolve('tsx/package.json'));
const TSX_CLI = path.join(TSX_DIR, 'dist', 'cli.mjs');
const TSX_LOADER = pathToFileURL(path.join(TSX_DIR, 'dist', 'loader.mjs')).href;
const TSCONFIG = path.join(REPO, 'tsconfig.json');
const COUNT = 500;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The `[safe-state]` lines of a run's stderr. */
function verboseLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('[safe-state] '));
}

/** Image indices in `images/downloads.log`, in the order they were downloaded. */
function downloadLog(cwd: string): number[] {
  const file = path.join(cwd, 'images', 'downloads.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/**
 * Starts the sample. By default through the tsx command line, as a user runs it (`tsx` then runs
 * the script in a child node process of its own). With `direct`, the script runs in the spawned
 * process itself (`node --import tsx`): a test that SIGKILLs the job must kill the process that
 * holds the job's lock, and that process must be this test's child, so that it is reaped at once.
 * (A killed grandchild is re-parented to PID 1, which in some containers never reaps it: the
 * zombie keeps its pid and the lock looks held.)
 */
function start(cwd: string, args: string[], options: { direct?: boolean } = {}): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG };
  delete env.FAIL_AT;
  delete env.SAFE_STATE_TEST_PHASE_FD;
  const argv = options.direct ? ['--import', TSX_LOADER, SAMPLE, ...args] : [TSX_CLI, '--tsconfig', TSCONFIG, SAMPLE, ...args];
  return spawn(process.execPath, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function finish(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function runSample(cwd: string, args: string[]): Promise<Result> {
  return finish(start(cwd, args));
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
/** The absolute state directory of a run in `cwd` (as the verbose lines print it), escaped for a RegExp. */
function stateDirPattern(cwd: string): string {
  return path.join(fs.realpathSync(cwd), '.safe_state').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function workDir(): string {
  const d = tempDir('safe-state-sample-');
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('samples/image-downloads', () => {
  it('fails at item 233 with a non-zero exit, then resumes and downloads exactly items 233..499', async () => {
    const cwd = workDir();

    const first = await runSample(cwd, ['--fail-at', '233']);
    expect(first.code).toBe(1);
    const checkpoint = fs.readdirSync(path.join(cwd, '.safe_state')).filter((f) => f.endsWith('.safestate'));
    expect(checkpoint).toHaveLength(1);
    expect(checkpoint[0]).toMatch(/^image-scrape-[0-9a-f]{12}\.safestate$/);
    expect(verboseLines(first.stderr)).toEqual([
      freshLine(cwd, 'image-scrape'),
      "[safe-state] 'image-scrape' failed at item 233: ConnectionError: Read timed out",
      `[safe-state] progress 233/500 saved to ${path.join(fs.realpathSync(cwd), '.safe_state', checkpoint[0])}`,
    ]);
    expect(first.stdout).toContain('this run downloaded 233 images (items 0-232)');
    expect(downloadLog(cwd)).toEqual(range(0, 233));
    // files 0600 in a 0700 directory
    expect(fs.statSync(path.join(cwd, '.safe_state')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(cwd, '.safe_state', checkpoint[0])).mode & 0o777).toBe(0o600);
    // the lock was released
    expect(fs.existsSync(path.join(cwd, '.safe_state', `${checkpoint[0]}.lock`))).toBe(false);

    const second = await runSample(cwd, []);
    expect(second.code).toBe(0);
    expect(verboseLines(second.stderr)).toEqual([
      "[safe-state] resuming 'image-scrape': 233/500 done (run #2)",
      '[safe-state] skipped 233 done items',
      "[safe-state] job 'image-scrape' complete; checkpoint cleared",
    ]);
    expect(second.stdout).toContain('this run downloaded 267 images (items 233-499)');
    // the second run downloaded exactly 233..499, in order, and nothing twice
    expect(downloadLog(cwd).slice(233)).toEqual(range(233, COUNT));
    expect(downloadLog(cwd)).toEqual(range(0, COUNT));
    expect(fs.readdirSync(path.join(cwd, 'images')).filter((f) => f.endsWith('.svg'))).toHaveLength(COUNT);
    expect(fs.readdirSync(path.join(cwd, '.safe_state'))).toEqual(['.gitignore']);
  });

  it('a failing first run leaves a checkpoint the same failure hits again, without redoing done items', async () => {
    const cwd = workDir();
    expect((await runSample(cwd, ['--fail-at', '10', '--count', '20'])).code).toBe(1);
    const again = await runSample(cwd, ['--fail-at', '10', '--count', '20']);
    expect(again.code).toBe(1);
    expect(verboseLines(again.stderr)).toEqual([
      "[safe-state] resuming 'image-scrape': 10/20 done (run #2)",
      '[safe-state] skipped 10 done items',
      "[safe-state] 'image-scrape' failed at item 10: ConnectionError: Read timed out",
      expect.stringMatching(new RegExp(`^\\[safe-state\\] progress 10/20 saved to ${stateDirPattern(cwd)}/image-scrape-[0-9a-f]{12}\\.safestate$`)),
    ]);
    expect(again.stdout).toContain('this run downloaded 0 images (items none)');
    const third = await runSample(cwd, ['--count', '20']);
    expect(third.code).toBe(0);
    expect(verboseLines(third.stderr)[0]).toBe("[safe-state] resuming 'image-scrape': 10/20 done (run #3)");
    expect(downloadLog(cwd)).toEqual(range(0, 20));
  });

  it('Ctrl-C (SIGINT) mid-run saves progress, ends the process by the signal, and the rerun resumes', async () => {
    const cwd = workDir();
    const child = start(cwd, ['--delay', '5'], { direct: true });
    children.push(child);
    const done = finish(child);
    const deadline = Date.now() + 50_000;
    while (downloadLog(cwd).length < 100) {
      if (Date.now() > deadline) throw new Error('the sample did not get to 100 downloads');
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGINT');
    const interrupted = await done;
    expect(interrupted.signal).toBe('SIGINT');
    const m = new RegExp(`^\\[safe-state\\] 'image-scrape' interrupted by SIGINT; progress (\\d+)/500 saved to ${stateDirPattern(cwd)}/image-scrape-[0-9a-f]{12}\\.safestate$`, 'm').exec(interrupted.stderr);
    expect(m).not.toBeNull();
    const saved = Number(m![1]);
    expect(saved).toBe(downloadLog(cwd).length);

    const rerun = await runSample(cwd, []);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)[0]).toBe(`[safe-state] resuming 'image-scrape': ${saved}/500 done (run #2)`);
    expect(downloadLog(cwd)).toEqual(range(0, COUNT));
  });

  it('killed (SIGKILL) right after an item\'s effect, before it was recorded: the rerun repeats exactly that item', async () => {
    const cwd = workDir();
    const crashed = await runSample(cwd, ['--crash-after', '100']);
    expect(crashed.code === 137 || crashed.signal === 'SIGKILL').toBe(true); // tsx reports the child's SIGKILL as 137
    expect(verboseLines(crashed.stderr)).toEqual([freshLine(cwd, 'image-scrape')]);
    expect(downloadLog(cwd)).toEqual(range(0, 101)); // image 100 was saved; the loop never asked for 101

    const rerun = await runSample(cwd, []);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)).toEqual([
      "[safe-state] resuming 'image-scrape': 100/500 done (run #2)",
      '[safe-state] skipped 100 done items',
      "[safe-state] job 'image-scrape' complete; checkpoint cleared",
    ]);
    expect(rerun.stdout).toContain('this run downloaded 400 images (items 100-499)');
    expect(downloadLog(cwd)).toEqual([...range(0, 101), ...range(100, COUNT)]);
  });

  it('SIGKILLed mid-run, a rerun completes all 500 downloads, repeating at most the item in flight', async () => {
    const cwd = workDir();
    // ~5 ms per image: the kill lands while the job runs, whatever the machine's speed
    const child = start(cwd, ['--delay', '5'], { direct: true });
    children.push(child);
    const done = finish(child);
    const deadline = Date.now() + 50_000;
    while (downloadLog(cwd).length < 100) {
      if (Date.now() > deadline) throw new Error('the sample did not get to 100 downloads');
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    const before = downloadLog(cwd);
    expect(before.length).toBeGreaterThanOrEqual(100);
    expect(before.length).toBeLessThan(COUNT);
    expect(before).toEqual(range(0, before.length));

    const rerun = await runSample(cwd, []);
    expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const lines = verboseLines(rerun.stderr);
    const m = /^\[safe-state\] resuming 'image-scrape': (\d+)\/500 done \(run #2\)$/.exec(lines[0]);
    expect(m).not.toBeNull();
    const resumedAt = Number(m![1]);
    // progress counted before the kill: everything logged, except at most the item in flight
    expect(resumedAt === before.length || resumedAt === before.length - 1).toBe(true);
    expect(lines.slice(1)).toEqual([`[safe-state] skipped ${resumedAt} done items`, "[safe-state] job 'image-scrape' complete; checkpoint cleared"]);

    const all = downloadLog(cwd);
    expect(all.slice(before.length)).toEqual(range(resumedAt, COUNT));
    expect([...new Set(all)].sort((a, b) => a - b)).toEqual(range(0, COUNT));
    expect(all.length - COUNT).toBeLessThanOrEqual(1); // at most the in-flight item was downloaded twice
    const images = fs.readdirSync(path.join(cwd, 'images')).filter((f) => f.endsWith('.svg'));
    expect(images).toHaveLength(COUNT);
    for (const f of images) expect(fs.statSync(path.join(cwd, 'images', f)).size).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(cwd, '.safe_state'))).toEqual(['.gitignore']); // checkpoint and the dead holder's lock are gone
  });
});
