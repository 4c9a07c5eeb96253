import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { FileBackend } from '../../lib/index';
import { tempDir } from '../helpers';
import { CLI_MAIN, TS_NODE_ANYWHERE } from '../cli/cli-helpers';

/**
 * A 203-byte checkpoint with valid checksums whose progress record reads `+5-15999990` once made
 * `safe-state list` allocate 656 MB (a Set of sixteen million indices) and the engine's load take
 * a minute. Work and memory must follow the file's size: these tests assert on memory (the peak
 * resident set of the command's process, the engine's growth in process), never on time.
 */

const JOB = 'adv';
const TOTAL = 16_000_000;

/** A journal line as docs/format.md describes it: CRC-32 of the payload, 8 hex digits, space, payload. */
const frame = (payload: string) => `${(zlib.crc32(payload) >>> 0).toString(16).padStart(8, '0')} ${payload}\n`;

/** Writes a FileBackend checkpoint of `JOB` whose only progress record names `ranges`; answers its dir. */
function craft(ranges: string): { dir: string; file: string; bytes: number } {
  const dir = tempDir('safe-state-adv-');
  const snapshot = JSON.stringify({
    safestate: 1, job: JOB, total: TOTAL, fp: [], runs: 1, complete: false, created: 1, updated: 1, w: 0, s: '',
    failure: null, state: null, frozen: null,
  });
  const text = `safestate-journal 1 ${JSON.stringify(JOB)}\n` + frame(snapshot) + frame(`+${ranges} 1700000000000`);
  const file = new FileBackend({ dir }).location(JOB);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return { dir, file, bytes: Buffer.byteLength(text) };
}

interface Measured {
  code: number | null;
  stdout: string;
  stderr: string;
  /** peak resident set of the command's process, in bytes */
  maxRss: number;
}

/** Runs the TypeScript `script` with `args` in a child that reports its peak resident set size as it exits. */
function measured(cwd: string, script: string, args: string[]): Promise<Measured> {
  const report = path.join(cwd, 'maxrss.txt');
  const preload = path.join(cwd, 'maxrss.cjs');
  fs.writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, String(process.resourceUsage().maxRSS * 1024)));\n`);
  const child = spawn(TS_NODE_ANYWHERE[0], ['--require', preload, ...TS_NODE_ANYWHERE.slice(1), script, ...args], {
    cwd,
    env: { ...process.env, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, maxRss: Number(fs.readFileSync(report, 'utf8')) }));
  });
}

/** Runs `safe-state <args>` in a child that reports its peak resident set size as it exits. */
const cliMeasured = (cwd: string, args: string[]) => measured(cwd, CLI_MAIN, args);

/** Resumes `JOB` from the checkpoint in `dir` over sixteen million sparse items, in a child of its own. */
const RESUME_CHILD = path.join(__dirname, '..', 'fixtures', 'sparse-resume-child.ts');

/** More than a process needs to read a small checkpoint, far less than a Set of 16 million entries (~650 MB). */
const HEADROOM = 64 * 1024 * 1024;

describe('a tiny checkpoint naming sixteen million done items (5-15999990)', () => {
  jest.setTimeout(240_000);

  it('is about 200 bytes with valid checksums', () => {
    const { bytes } = craft('5-15999990');
    expect(bytes).toBeLessThan(260);
  });

  it('`safe-state list` and `show --json` report 15999986 done, next item 0, in the memory of a small checkpoint', async () => {
    const small = craft('5-9');
    const baseline = await cliMeasured(small.dir, ['list', '--json', '--dir', small.dir]);
    expect(baseline.code).toBe(0);
    expect(JSON.parse(baseline.stdout).jobs[0].done).toBe(5);

    const adv = craft('5-15999990');
    const list = await cliMeasured(adv.dir, ['list', '--json', '--dir', adv.dir]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).jobs[0]).toMatchObject({ job: JOB, done: 15_999_986, total: TOTAL, readable: true });
    expect(list.maxRss - baseline.maxRss).toBeLessThan(HEADROOM);

    const table = await cliMeasured(adv.dir, ['list', '--dir', adv.dir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('15999986/16000000');
    expect(table.maxRss - baseline.maxRss).toBeLessThan(HEADROOM);

    const show = await cliMeasured(adv.dir, ['show', JOB, '--json', '--dir', adv.dir]);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ done: 15_999_986, nextItem: 0, doneRanges: '5-15999990', doneKeys: null });
    expect(show.maxRss - baseline.maxRss).toBeLessThan(HEADROOM);

    const text = await cliMeasured(adv.dir, ['show', JOB, '--dir', adv.dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/15999986\/16000000 items done/);
    expect(text.stdout).toMatch(/the next run starts with item 0/);
    expect(text.maxRss - baseline.maxRss).toBeLessThan(HEADROOM);
  });

  it('the engine resumes from it: items 0-4, then a direct jump to 15999991, without per-item memory', async () => {
    // the same run over a checkpoint of five done items is the baseline: the process, the loader, the sparse array
    const small = craft('5-9');
    const baseline = await measured(small.dir, RESUME_CHILD, [small.dir]);
    expect(baseline.code).toBe(0);
    expect(JSON.parse(baseline.stdout).before.done).toBe(5);

    const { dir } = craft('5-15999990');
    const run = await measured(dir, RESUME_CHILD, [dir]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      before: { done: 15_999_986, has15999990: true },
      error: 'stop here',
      seen: [0, 1, 2, 3, 4, 15_999_991, 15_999_992],
      failedAt: 15_999_992,
      done: 15_999_986 + 6,
    });
    expect(run.maxRss - baseline.maxRss).toBeLessThan(HEADROOM);
  });
});
