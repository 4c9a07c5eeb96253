/**
 * kill -9 at random points of jobs that complete items out of order (`concurrently`) or resume by
 * item identity (the `key` option, with the input shuffled differently on every run), FileBackend,
 * saveEvery 1, durability 'strict', rerun until they complete. The guarantee checked:
 * - after every kill the checkpoint is readable, no item is marked done without its effect, at
 *   most `bound` items of the killed run have an effect without being done (the items in flight:
 *   `limit` for `concurrently`, 1 for a sequential loop), and every other item not done was
 *   already not done at the kill before (a shuffled run may not have reached it yet);
 * - the next run repeats only items among those (nothing done is ever run again);
 * - at the end every item had its effect, and the checkpoint is cleared.
 * Replay a failing series with CRASH_SEED=<seed printed in the failure>.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers';
import type { CrashChildConfig } from '../fixtures/crash-child';
import { checkpointFile, countOf, landingOf, peek, prng, randInt, readEffects, removeDir, runChild, seedFor, type Landing, type PhaseByte, type ChildControl } from './crash-harness';
import type { Checkpoint } from '../../lib/index';

const SERIES_TIMEOUT = 180_000;
const N = 600;
const KILLS = 10;

interface Variant {
  label: string;
  cfg: Partial<CrashChildConfig> & Pick<CrashChildConfig, 'loop'>;
  /** items that may have an effect without being done at a kill */
  bound: number;
}

const VARIANTS: Variant[] = [
  { label: 'concurrently, array, limit 4', cfg: { loop: 'concurrently', limit: 4 }, bound: 4 },
  { label: 'concurrently, async generator, limit 3', cfg: { loop: 'concurrently-async-gen', limit: 3 }, bound: 3 },
  { label: 'key, for..of, shuffled input', cfg: { loop: 'for-of', key: true }, bound: 1 },
  { label: 'key, concurrently, shuffled input, limit 5', cfg: { loop: 'concurrently', limit: 5, key: true }, bound: 5 },
];

function doneItems(cp: Checkpoint | null, keyed: boolean): Set<number> {
  if (!cp) return new Set();
  if (!keyed) return new Set(cp.completedIndices);
  return new Set([...(cp.completedKeys ?? [])].map((k) => {
    if (typeof k !== 'string' || !/^k\d+$/.test(k)) throw new Error(`unexpected key ${JSON.stringify(k)}`);
    return Number(k.slice(1));
  }));
}

function killAt(after: number, aim: 'save' | 'body' | 'any'): (b: PhaseByte, count: number, ctl: ChildControl) => void {
  return (b, count, ctl) => {
    if (count < after) return;
    if (aim === 'any' || (aim === 'save' && (b === 'S' || b === 'F')) || (aim === 'body' && b === 'B')) ctl.kill('SIGKILL');
  };
}

describe('SIGKILL with concurrently() and with the key option (FileBackend, saveEvery 1, strict)', () => {
  const landings: Record<string, Record<Landing, number> & { repeats?: number; maxInFlightAtKill?: number }> = {};
  afterAll(() => {
    if (process.env.CRASH_VERBOSE) process.stdout.write(`landings: ${JSON.stringify(landings)}\n`);
  });

  it.concurrent.each(VARIANTS.map((v) => [v.label, v] as const))('%s: no item skipped, repeats only among the items in flight at a kill', async (label, v) => {
    const seed = seedFor(`conc-key-${label}`);
    const rng = prng(seed);
    const dir = tempDir('safe-state-crash-');
    const keyed = v.cfg.key === true;
    const base: CrashChildConfig = { dir, name: `crash-${label.replace(/\W+/g, '-')}`, n: N, effects: path.join(dir, 'effects.txt'), saveEvery: 1, durability: 'strict', ...v.cfg };
    const ctx = `[${label}, seed ${seed} (CRASH_SEED to replay), dir ${dir}]`;
    const land: Record<Landing, number> = { B: 0, S: 0, F: 0, D: 0, none: 0 };
    landings[label] = land;
    let kills = 0;
    let repeats = 0;
    let maxMissing = 0;
    // items with an effect but not done at the last kill: the only ones a run may repeat
    let mayRepeat = new Set<number>();
    for (let runNo = 0; ; runNo++) {
      if (runNo > KILLS + 3) throw new Error(`${ctx} the job did not complete after ${runNo} runs`);
      const before = readEffects(base.effects);
      const effectedBefore = new Set(before);
      const killing = kills < KILLS;
      const roll = rng();
      const aim = roll < 0.4 ? 'save' : roll < 0.8 ? 'body' : 'any';
      const cfg: CrashChildConfig = { ...base, ...(keyed ? { shuffle: randInt(rng, 1, 2 ** 30) } : {}), ...(killing && aim === 'body' ? { busyUs: 500, busyAfterUs: 1000 } : {}) };
      const res = await runChild(cfg, killing ? { onPhase: killAt(randInt(rng, 4, 90), aim) } : {});
      const effects = readEffects(base.effects);
      const mine = effects.slice(before.length);
      // within one run, each item has at most one effect
      expect({ ctx, runNo, dupInRun: mine.length - new Set(mine).size }).toEqual({ ctx, runNo, dupInRun: 0 });
      // a run repeats only items that were in flight (effect, not done) at the previous kill
      const repeated = mine.filter((e) => effectedBefore.has(e));
      const wrong = repeated.filter((e) => !mayRepeat.has(e));
      expect({ ctx, runNo, repeatedAlthoughDone: wrong }).toEqual({ ctx, runNo, repeatedAlthoughDone: [] });
      repeats += repeated.length;
      if (res.signal !== 'SIGKILL') {
        expect({ ctx, code: res.code, stderr: res.stderr }).toEqual({ ctx, code: 0, stderr: '' });
        break;
      }
      kills++;
      land[landingOf(res.phases)]++;
      const cp = await peek(dir, base.name).catch((e: unknown) => {
        throw new Error(`${ctx} checkpoint unreadable after kill ${kills}: ${String(e)}`);
      });
      const done = doneItems(cp, keyed);
      const effected = new Set(effects);
      const doneWithoutEffect = [...done].filter((d) => !effected.has(d));
      expect({ ctx, kill: kills, doneWithoutEffect }).toEqual({ ctx, kill: kills, doneWithoutEffect: [] });
      // items of this run with an effect but not done: at most the items in flight
      const mineSet = new Set(mine);
      const inFlightAtKill = [...mineSet].filter((e) => !done.has(e));
      maxMissing = Math.max(maxMissing, inFlightAtKill.length);
      expect({ ctx, kill: kills, inFlightAtKill: inFlightAtKill.length <= v.bound }).toEqual({ ctx, kill: kills, inFlightAtKill: true });
      // older items not done are those left in flight by earlier kills that this run has not
      // reached yet (with a shuffled input they may come late): nothing that counted got lost
      const lost = [...effected].filter((e) => !done.has(e) && !mineSet.has(e) && !mayRepeat.has(e));
      expect({ ctx, kill: kills, lost }).toEqual({ ctx, kill: kills, lost: [] });
      mayRepeat = new Set([...effected].filter((e) => !done.has(e)));
    }
    const all = new Set(readEffects(base.effects));
    const never = Array.from({ length: N }, (_, i) => i).filter((i) => !all.has(i));
    expect({ ctx, never }).toEqual({ ctx, never: [] });
    expect(repeats).toBeLessThanOrEqual(kills * v.bound);
    expect(kills).toBe(KILLS);
    expect(fs.existsSync(checkpointFile(dir, base.name))).toBe(false);
    Object.assign(land, { repeats, maxInFlightAtKill: maxMissing });
    if (v.bound > 1) {
      // the kills did catch completions in flight in parallel at least once in the series
      expect({ ctx, maxMissing: maxMissing >= 1 }).toEqual({ ctx, maxMissing: true });
    }
    removeDir(dir);
  }, SERIES_TIMEOUT);

  it.concurrent.each<[NodeJS.Signals]>([['SIGINT'], ['SIGTERM']])('%s during concurrently() with saveEvery 1000: completions flushed, the in-flight items recorded, the process ends by the signal', async (signal) => {
    const seed = seedFor(`conc-signal-${signal}`);
    const rng = prng(seed);
    const dir = tempDir('safe-state-crash-');
    const limit = 4;
    const cfg: CrashChildConfig = { dir, name: `crash-conc-${signal}`, n: N, loop: 'concurrently', limit, effects: path.join(dir, 'effects.txt'), saveEvery: 1000, durability: 'strict' };
    const ctx = `[${signal}, seed ${seed} (CRASH_SEED to replay), dir ${dir}]`;
    const after = randInt(rng, 30, 150);
    const res = await runChild(cfg, {
      onPhase: (b, _count, ctl) => {
        if (b === 'B' && countOf(ctl.phases, 'B') >= after && !ctl.killed) ctl.kill(signal);
      },
    });
    const effects = readEffects(cfg.effects);
    const cp = await peek(dir, cfg.name);
    const done = doneItems(cp, false);
    const effected = new Set(effects);
    expect({
      ctx,
      ended: res.signal === signal || res.code === (signal === 'SIGINT' ? 130 : 143) ? 'by the signal' : `code ${res.code}, signal ${res.signal}`,
      stderr: res.stderr,
      midJob: effects.length >= after - limit && effects.length < N,
      doneWithoutEffect: [...done].filter((d) => !effected.has(d)),
      // every completion was flushed: only the items in flight at the signal have an effect without being done
      inFlight: [...effected].filter((e) => !done.has(e)).length <= limit,
      failure: cp?.lastFailure?.name,
      failureIndexInFlight: cp?.lastFailure?.index != null && !done.has(cp.lastFailure.index),
    }).toEqual({ ctx, ended: 'by the signal', stderr: '', midJob: true, doneWithoutEffect: [], inFlight: true, failure: 'Interrupted', failureIndexInFlight: true });
    const rerun = await runChild(cfg);
    expect({ ctx, code: rerun.code, stderr: rerun.stderr }).toEqual({ ctx, code: 0, stderr: '' });
    const all = readEffects(cfg.effects);
    expect(Array.from({ length: N }, (_, i) => i).filter((i) => !all.includes(i))).toEqual([]);
    expect(all.length - N).toBeLessThanOrEqual(limit); // repeats: at most the items in flight at the signal
    removeDir(dir);
  }, SERIES_TIMEOUT);
});
