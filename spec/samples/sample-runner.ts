/**
 * Runs a sample the way its README says (`npx tsx samples/<name>/<script>.ts`), but in ONE node
 * process (`node --import <tsx loader> script.ts`), a child of the test: a SIGKILL then hits the
 * process that holds the job's lock, and the test reaps it at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TS_NODE, tempDir } from '../helpers';

export const REPO = path.resolve(__dirname, '..', '..');
const TSX_LOADER = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
const TSCONFIG = path.join(REPO, 'tsconfig.json');

export interface SampleResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A started sample, with its output collected and its end awaitable. */
export interface RunningSample {
  child: ChildProcess;
  /** what it wrote to stdout so far */
  stdout(): string;
  done: Promise<SampleResult>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** A fresh working directory, removed after the test. */
export function workDir(): string {
  const d = tempDir('safe-state-sample-');
  dirs.push(d);
  return d;
}

/** Kills what is left and removes the working directories (call from afterEach). */
export function cleanUp(): void {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Starts `samples/<script>` with `args` in `cwd`. */
export function startSample(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunningSample {
  const file = path.join(REPO, 'samples', script);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, ...env };
  delete childEnv.SAFE_STATE_TEST_PHASE_FD;
  const child = spawn(TS_NODE[0], ['--import', TSX_LOADER, file, ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<SampleResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, done };
}

/** Runs `samples/<script>` to its end. */
export function runSample(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<SampleResult> {
  return startSample(script, args, cwd, env).done;
}

/** The `[safe-state]` lines of a run's stderr. */
export function verboseLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('[safe-state] '));
}

/** Lines of a text file in `cwd` (empty when it does not exist). */
export function fileLines(cwd: string, name: string): string[] {
  const file = path.join(cwd, name);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Waits until `check()` is true (polling), or fails after `ms`. */
export async function waitFor(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The state directory of a sample run in `cwd`, as the verbose lines print it (absolute), escaped for a RegExp. */
export function statePattern(cwd: string): string {
  return path.join(fs.realpathSync(cwd), '.safe_state').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The verbose start line of a fresh sample run in `cwd`: it names the absolute checkpoint file in
 * `.safe_state` (`<job>-<hash>.safestate`).
 */
export function freshLine(cwd: string, job: string): unknown {
  return expect.stringMatching(new RegExp(`^\\[safe-state\\] starting fresh job '${job}' \\(checkpoint ${statePattern(cwd)}/${job}-[0-9a-f]{12}\\.safestate\\)$`));
}
