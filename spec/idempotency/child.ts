import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TS_NODE } from '../helpers';

const SCRIPT = path.resolve(__dirname, '../fixtures/idempotent-child.ts');

/** A running spec/fixtures/idempotent-child.ts process and what it printed so far. */
export interface Child {
  proc: ChildProcess;
  lines: string[];
  /** resolves with the first line starting with `prefix` (rejects if the child exits first) */
  waitFor(prefix: string): Promise<string>;
  /** resolves with the exit code (or signal) */
  exited: Promise<number | string | null>;
}

/** Starts the fixture child with `args` (dir, effects file, mode, key, [sleepMs]). */
export function startChild(args: string[]): Child {
  const proc = spawn(TS_NODE[0], [...TS_NODE.slice(1), SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  let buf = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (line.startsWith(w.prefix)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  const exited = new Promise<number | string | null>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal)));
  void exited.then((how) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`child exited (${how}) before printing '${w.prefix}'; stdout: ${lines.join(' | ')}; stderr: ${stderr}`));
  });
  return {
    proc,
    lines,
    exited,
    waitFor: (prefix) => {
      const found = lines.find((l) => l.startsWith(prefix));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
    },
  };
}

/** Runs the child to its end; answers its `result` line's JSON. */
export async function runChild(args: string[]): Promise<unknown> {
  const c = startChild(args);
  const line = await c.waitFor('result ');
  await c.exited;
  return JSON.parse(line.slice('result '.length));
}

/** SIGKILLs a child and waits for it to be gone. */
export async function kill(c: Child): Promise<void> {
  c.proc.kill('SIGKILL');
  await c.exited;
}

/** The effects file's lines as [key, pid] pairs. */
export function effectsOf(file: string): [string, number][] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [k, pid] = l.split(' ');
      return [k, Number(pid)];
    });
}

/**
 * Another path to the same directory (a symbolic link): a FileBackend over it is the same storage
 * under another location, so this process keeps a separate in-memory set for it, as a new process
 * would. For sequential use only: two leases of one storage in one process are not what this
 * simulates (use child processes for that).
 */
export function sameDirElsewhere(dir: string): string {
  // the link is to the parent: a state directory that is itself a link is refused
  const alias = path.join(require('node:os').tmpdir(), `safe-state-alias-${Math.random().toString(36).slice(2)}`);
  fs.symlinkSync(path.dirname(dir), alias);
  return path.join(alias, path.basename(dir));
}
