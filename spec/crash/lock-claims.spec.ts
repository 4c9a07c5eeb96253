/**
 * A process SIGKILLed while it takes the FileBackend lock leaves its claim file
 * (`<job>.safestate.lock.claim-<pid>-<n>`) and maybe an ownerless lock; the next run that takes the
 * lock removes what dead claimants left, and a completed job leaves nothing of itself behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeState, FileBackend } from '../../lib/index';
import { tempDir } from '../helpers';
import { childCommand, prng, randInt, seedFor } from './crash-harness';

const CHILD = path.resolve(__dirname, '../fixtures/lock-claim-child.ts');

/** Starts the child and SIGKILLs it `delayMs` after it said it is about to run the job (or lets it finish). */
function runChild(dir: string, delayMs: number | null): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childCommand(CHILD), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.once('data', () => {
      if (delayMs !== null) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('lock claims of dead claimants', () => {
  it('are removed by the next run that takes the lock, with the asides of a killed lock breaker', async () => {
    const dir = path.join(tempDir(), 'state');
    const backend = new FileBackend({ dir });
    const lockDir = `${backend.location('left')}.lock`;
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'left', backend });
    await job([0]); // makes the directory (and its .gitignore)
    const pid = deadPid();
    fs.writeFileSync(`${lockDir}.claim-${pid}-1`, JSON.stringify({ pid, host: require('node:os').hostname(), since: Date.now(), startTime: null }), { mode: 0o600 });
    fs.writeFileSync(`${lockDir}.claim-${pid}-2`, '{"pid":', { mode: 0o600 }); // half-written
    fs.mkdirSync(`${lockDir}.stale-${pid}-abc`);
    fs.writeFileSync(`${lockDir}.stale-${pid}-abc/owner.json`, '{}');
    await job([0, 1]);
    expect(fs.readdirSync(dir)).toEqual(['.gitignore']);
  });

  it('keeps the claim of a live claimant that is younger than the stale time', async () => {
    const dir = path.join(tempDir(), 'state');
    const backend = new FileBackend({ dir });
    const claim = `${backend.location('live')}.lock.claim-1-1`; // pid 1 is alive
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'live', backend });
    await job([0]);
    fs.writeFileSync(claim, JSON.stringify({ pid: 1, host: require('node:os').hostname(), since: Date.now(), startTime: null }), { mode: 0o600 });
    await job([0]);
    expect(fs.existsSync(claim)).toBe(true);
    const old = new Date(Date.now() - 3_600_000); // older than staleMs: pid 1 is not taking this lock
    fs.utimesSync(claim, old, old);
    await job([0]);
    expect(fs.readdirSync(dir)).toEqual(['.gitignore']);
  });

  it('30 SIGKILLs around job start, then a completed run: nothing of the job is left', async () => {
    const dir = path.join(tempDir(), 'state');
    const rng = prng(seedFor('lock-claims'));
    let killed = 0;
    for (let i = 0; i < 30; i++) {
      const res = await runChild(dir, randInt(rng, 0, 25));
      if (res.signal === 'SIGKILL') killed++;
      else expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    }
    const before = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== '.gitignore') : [];
    const done = await runChild(dir, null);
    expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 0, stderr: '' });
    const left = fs.readdirSync(dir).filter((f) => f !== '.gitignore');
    expect({ killed: killed > 10, left }).toEqual({ killed: true, left: [] });
    process.stdout.write(`lock-claims: ${killed} of 30 runs killed; before the completing run: ${before.join(' ') || 'nothing'}\n`);
  }, 180_000);
});
