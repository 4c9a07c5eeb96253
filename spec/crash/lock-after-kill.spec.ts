/**
 * The FileBackend lock after a kill -9: the killed run cannot release it, so the next run must
 * take it over at once (SPEC §4: "a lock whose holder process is gone (same host) is taken over
 * at once"), whatever instant the kill hit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers';
import type { CrashChildConfig } from '../fixtures/crash-child';
import { countOf, lockDirOf, readEffects, removeDir, runChild, type ChildResult } from './crash-harness';

function config(name: string): CrashChildConfig {
  const dir = tempDir('safe-state-crash-');
  return { dir, name, n: 300, loop: 'for-await', effects: path.join(dir, 'effects.txt'), busyUs: 1000 };
}

/** Runs the job and SIGKILLs it in the body of its 5th item. */
async function killInBody(cfg: CrashChildConfig): Promise<ChildResult> {
  const res = await runChild(cfg, {
    onPhase: (b, _count, ctl) => {
      if (b === 'B' && countOf(ctl.phases, 'B') >= 5) ctl.kill('SIGKILL');
    },
  });
  expect({ signal: res.signal, stderr: res.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
  return res;
}

describe('the lock of a killed run', () => {
  it.concurrent('is taken over at once when its holder was killed', async () => {
    const cfg = config('crash-lock-dead-holder');
    const killed = await killInBody(cfg);
    const owner = JSON.parse(fs.readFileSync(path.join(lockDirOf(cfg.dir, cfg.name), 'owner.json'), 'utf8')) as { pid: number };
    expect(owner.pid).toBe(killed.pid);
    const rerun = await runChild(cfg);
    expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: '' });
    expect(new Set(readEffects(cfg.effects)).size).toBe(cfg.n);
    removeDir(cfg.dir);
  });

  // A SIGKILL between proper-lockfile's mkdir and the owner record used to leave an ownerless lock
  // that blocked the next run for 5 s. Now the holder record is a claim file written before the
  // mkdir and moved into the directory after it, so an ownerless lock whose claimants are gone is
  // taken over at once. This recreates that state (the lock of a killed run, minus its owner record).
  it.concurrent('does not block the next run when the kill left the lock without its owner record', async () => {
    const cfg = config('crash-lock-ownerless');
    await killInBody(cfg);
    fs.unlinkSync(path.join(lockDirOf(cfg.dir, cfg.name), 'owner.json'));
    const rerun = await runChild(cfg);
    expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: '' });
    expect(new Set(readEffects(cfg.effects)).size).toBe(cfg.n);
    removeDir(cfg.dir);
  });
});
