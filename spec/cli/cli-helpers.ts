/**
 * Runs the `safe-state` command line the way a user runs it: a child process on
 * lib/cli/main.ts (one node process with the tsx loader), in a given working directory, with
 * TZ=UTC so that printed times are predictable.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TS_NODE } from '../helpers';

export const REPO = path.resolve(__dirname, '..', '..');
export const CLI_MAIN = path.join(REPO, 'lib', 'cli', 'main.ts');
/**
 * TS_NODE with the tsx loader as an absolute URL: `--import tsx` resolves from the working
 * directory, and these runs happen in temporary directories outside the repository.
 */
export const TS_NODE_ANYWHERE = TS_NODE.map((a) =>
  a === 'tsx' ? pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href : a,
);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `safe-state <args>` in `cwd`; resolves when the process ends. */
export function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawn(TS_NODE_ANYWHERE[0], [...TS_NODE_ANYWHERE.slice(1), CLI_MAIN, ...args], {
    cwd,
    env: { ...process.env, TZ: 'UTC', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `2025-06-01 10:11:12` in UTC, as the CLI prints times with TZ=UTC. */
export function utcTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
