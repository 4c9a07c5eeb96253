import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { safeState, FileBackend } from '../../lib/index';
import { tempDir } from '../helpers';
import { childCommand } from '../crash/crash-harness';

const CHILD = path.join(__dirname, '../fixtures/retry-child.ts');

interface Outcome { stdout: string; code: number | null; signal: NodeJS.Signals | null }

/** Runs the child; with `killAtTries`, SIGKILLs it once its checkpoint says it waits for a retry after that many tries. */
function runChild(dir: string, killAtTries: number | null): Promise<Outcome> {
  const peek = safeState(async (_: number[]) => undefined, { name: 'retry-kill', backend: new FileBackend({ dir }) }).peekCheckpoint;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childCommand(CHILD), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let timer: NodeJS.Timeout | null = null;
    if (killAtTries !== null) {
      timer = setInterval(() => {
        peek().then((cp) => {
          const f = cp?.lastFailure;
          if (f?.retrying === true && f.tries === killAtTries) child.kill('SIGKILL');
        }, () => undefined); // a checkpoint being rewritten: ask again
      }, 50);
    }
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ stdout, code, signal });
    });
  });
}

describe('retry and SIGKILL between tries', () => {
  it('a killed process does not reset the tries: the rerun goes on counting and stops at `attempts` in all', async () => {
    const dir = tempDir();
    const peek = safeState(async (_: number[]) => undefined, { name: 'retry-kill', backend: new FileBackend({ dir }) }).peekCheckpoint;

    const first = await runChild(dir, 1); // try 1 fails, killed during the 60 s backoff
    expect(first.signal).toBe('SIGKILL');
    expect(first.stdout).toBe('try\n');
    expect((await peek())!.lastFailure).toMatchObject({ index: 2, tries: 1, retrying: true });

    const second = await runChild(dir, 2); // try 2 fails, killed in its backoff again
    expect(second.signal).toBe('SIGKILL');
    expect(second.stdout).toBe('try\n');
    expect((await peek())!.lastFailure).toMatchObject({ index: 2, tries: 2, retrying: true });

    const third = await runChild(dir, null); // try 3 is the last one: no backoff, the call rejects
    expect(third.code).toBe(1);
    expect(third.stdout).toBe('try\nrejected: item 2 fails\n');
    const cp = (await peek())!;
    expect(cp.lastFailure).toMatchObject({ index: 2, tries: 3, retrying: false });
    expect(cp.completedIndices.size).toBe(2);
    expect(cp.runCount).toBe(3);
  });
});
