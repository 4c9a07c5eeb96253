/**
 * Group commit (FileBackend, durability 'strict', saveEvery 1, `concurrently`): the fdatasync of a
 * save runs off the main thread, item bodies go on meanwhile, and the completions that arrive while
 * it is in flight share the next one. The guarantee must not move: an item's `concurrently` slot is
 * handed a new item only once the item is durable. Real child processes (spec/fixtures/crash-child.ts)
 * killed with SIGKILL, mostly while an fdatasync is in flight; after every kill:
 * - the checkpoint is readable and nothing is done without its effect;
 * - of the items this run started (phase byte `B`: a slot was handed an item), all but at most
 *   `limit` are done: every slot handed a new item was freed by an item that is on disk;
 * - nothing that counted is lost; at the end every item had its effect.
 * Replay a failing series with CRASH_SEED=<seed printed in the failure>.
 */
import * as path from 'node:path';
import { tempDir } from '../helpers';
import type { CrashChildConfig } from '../fixtures/crash-child';
import { countOf, peek, prng, randInt, readEffects, removeDir, runChild, seedFor, type ChildControl, type PhaseByte } from './crash-harness';

const LIMIT = 8;
const N = 400;
const KILLS = 8;

function config(dir: string, name: string): CrashChildConfig {
  return {
    dir,
    name,
    n: N,
    loop: 'concurrently',
    limit: LIMIT,
    sleepMs: 1,
    effects: path.join(dir, 'effects.txt'),
    saveEvery: 1,
    durability: 'strict',
    effectPhase: true,
  };
}

describe('group commit under SIGKILL (FileBackend, concurrently limit 8, strict)', () => {
  it('runs item bodies while an fdatasync is in flight, and shares it among completions', async () => {
    const dir = tempDir('safe-state-crash-');
    try {
      const res = await runChild(config(dir, 'group-commit-run'));
      expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
      // an item's effect between a save's fdatasync start (F) and its end (D): the event loop ran
      // meanwhile (a synchronous fdatasync would block it, and F..D would never hold an E)
      expect(res.phases).toMatch(/F[^D]*E/);
      // fewer fdatasyncs than items: completions shared them
      expect(countOf(res.phases, 'E')).toBe(N);
      expect(countOf(res.phases, 'F')).toBeLessThan(N);
    } finally {
      removeDir(dir);
    }
  });

  it('never hands a slot a new item before the item that held it is on disk', async () => {
    const seed = seedFor('group-commit-kill');
    const rng = prng(seed);
    const dir = tempDir('safe-state-crash-');
    const cfg = config(dir, 'group-commit-kill');
    const ctx = `[seed ${seed} (CRASH_SEED to replay), dir ${dir}]`;
    try {
      let kills = 0;
      let landedInSync = 0;
      for (let runNo = 0; ; runNo++) {
        if (runNo > KILLS + 3) throw new Error(`${ctx} the job did not complete after ${runNo} runs`);
        const doneBefore = new Set((await peek(dir, cfg.name))?.completedIndices ?? []);
        const before = readEffects(cfg.effects).length;
        const killing = kills < KILLS;
        const after = randInt(rng, 10, 150);
        const anywhere = rng() < 0.25;
        let syncs = 0;
        const onPhase = (b: PhaseByte, count: number, ctl: ChildControl) => {
          if (b === 'F') syncs++;
          // mostly while an fdatasync is in flight: right after an F (before its D)
          if (count >= after && (anywhere || (b === 'F' && syncs > 1))) ctl.kill('SIGKILL');
        };
        const res = await runChild(cfg, killing ? { onPhase } : {});
        const mine = readEffects(cfg.effects).slice(before);
        expect({ ctx, runNo, dupInRun: mine.length - new Set(mine).size }).toEqual({ ctx, runNo, dupInRun: 0 });
        if (res.signal !== 'SIGKILL') {
          expect({ ctx, code: res.code, stderr: res.stderr }).toEqual({ ctx, code: 0, stderr: '' });
          break;
        }
        kills++;
        if (/F[^D]*$/.test(res.phases)) landedInSync++;
        const cp = await peek(dir, cfg.name).catch((e: unknown) => {
          throw new Error(`${ctx} checkpoint unreadable after kill ${kills}: ${String(e)}`);
        });
        const done = new Set(cp?.completedIndices ?? []);
        const effected = new Set(readEffects(cfg.effects));
        expect({ ctx, kill: kills, doneWithoutEffect: [...done].filter((d) => !effected.has(d)) }).toEqual({ ctx, kill: kills, doneWithoutEffect: [] });
        expect({ ctx, kill: kills, lost: [...doneBefore].filter((d) => !done.has(d)) }).toEqual({ ctx, kill: kills, lost: [] });
        // every start beyond the first `limit` reused a slot, freed by an item of this run that must be on disk
        const started = countOf(res.phases, 'B');
        const doneInRun = [...done].filter((d) => !doneBefore.has(d)).length;
        expect({ ctx, kill: kills, started, durableEnough: doneInRun >= started - LIMIT }).toEqual({ ctx, kill: kills, started, durableEnough: true });
      }
      const all = new Set(readEffects(cfg.effects));
      expect({ ctx, never: Array.from({ length: N }, (_, i) => i).filter((i) => !all.has(i)) }).toEqual({ ctx, never: [] });
      expect(kills).toBe(KILLS);
      if (process.env.CRASH_VERBOSE) process.stdout.write(`${ctx} ${landedInSync} of ${kills} kills landed while an fdatasync was in flight\n`);
    } finally {
      removeDir(dir);
    }
  }, 180_000);
});
