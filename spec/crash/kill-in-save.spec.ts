/**
 * kill -9 aimed at the middle of saves, with every kind of write the FileBackend does: appended
 * progress records carrying `checkpoint(state)` records, full snapshots written by failures and by
 * the start of every run (atomic replace: temporary file, fsync, rename), and compactions of the
 * journal. After every kill the checkpoint must be readable (peekCheckpoint does not throw) and
 * hold every completion that had counted: all items with a recorded effect but the one in flight,
 * and the state saved with the last of them (SPEC §9: "a crash at any instant leaves a readable
 * checkpoint that holds all progress that had counted, never a torn one").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers';
import type { CrashChildConfig, CrashLoop, CrashState } from '../fixtures/crash-child';
import {
  checkAfterKill,
  checkGuarantee,
  checkpointFile,
  landingOf,
  peek,
  prng,
  randInt,
  readEffects,
  removeDir,
  runChildPastOwnerlessLock,
  seedFor,
  type ChildControl,
  type Landing,
  type PhaseByte,
  type RunChildOptions,
  type RunRecord,
} from './crash-harness';

/** Generous: a series starts ~30 child processes, slow on a loaded machine. */
const SERIES_TIMEOUT = 180_000;

interface SeriesResult {
  seed: number;
  kills: number;
  landings: Record<Landing, number>;
  /** kills that left the temporary file of a full save behind (killed between its creation and the rename) */
  inFullSave: number;
  /** largest checkpoint file seen after a kill (bytes) */
  maxFileSize: number;
  runs: number;
  /** reruns refused because a kill left an ownerless lock (must stay 0; see runChildPastOwnerlessLock) */
  ownerlessLockStalls: number;
}

const summary: Record<string, SeriesResult> = {};

/** Checks the checkpoint after a kill: readable, progress that counted, and the state saved with it. */
async function checkCheckpoint(ctx: string, cfg: CrashChildConfig, allEffects: number[], run: { effects: number[]; phases: string }): Promise<void> {
  const cp = await peek(cfg.dir, cfg.name).catch((e: unknown) => {
    throw new Error(`${ctx} checkpoint unreadable (landing ${landingOf(run.phases)}): ${String(e)}`);
  });
  const problem = checkAfterKill(cp, allEffects, run, cfg.saveEvery ?? 1, (cfg.saveEvery ?? 1) === 1);
  if (problem) throw new Error(`${ctx} (phases …${run.phases.slice(-12)}): ${problem}`);
  if (!cp || !cfg.state) return;
  // checkpoint({ last: i }) is called after item i's effect and goes out with the save that
  // counts item i: the saved state belongs to the highest done item.
  const done = [...cp.completedIndices];
  const maxDone = done.length ? Math.max(...done) : -1;
  const state = cp.state as CrashState | undefined;
  if (maxDone < 0) {
    if (state !== undefined) throw new Error(`${ctx} no item done but state ${JSON.stringify(state).slice(0, 40)} saved`);
    return;
  }
  if (!state || state.last !== maxDone || state.pad.length !== (cfg.statePad ?? 8)) {
    throw new Error(`${ctx} saved state ${state ? `last=${state.last}` : 'missing'} does not match the highest done item ${maxDone}`);
  }
}

function tmpFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

/**
 * Kills the job `kills` times (plan per run from `planFor`), checking the checkpoint after each
 * kill, then lets it complete and checks the guarantee over the series.
 */
async function series(
  label: string,
  cfg: CrashChildConfig,
  kills: number,
  planFor: (rng: () => number, cfg: CrashChildConfig) => RunChildOptions,
): Promise<SeriesResult> {
  const seed = seedFor(`kill-in-save-${label}`);
  const rng = prng(seed);
  const ctx0 = `[${label}, seed ${seed} (CRASH_SEED to replay), dir ${cfg.dir}]`;
  const landings: Record<Landing, number> = { B: 0, S: 0, F: 0, D: 0, none: 0 };
  const runs: RunRecord[] = [];
  let killed = 0;
  let inFullSave = 0;
  let maxFileSize = 0;
  const stalls = { count: 0 };
  for (;;) {
    if (runs.length > kills + 3) throw new Error(`${ctx0} the job did not complete after ${runs.length} runs`);
    const before = readEffects(cfg.effects).length;
    const killing = killed < kills;
    const res = await runChildPastOwnerlessLock(cfg, () => (killing ? planFor(rng, cfg) : {}), stalls);
    const effects = readEffects(cfg.effects);
    const rec: RunRecord = { effects: effects.slice(before), result: res, killed: res.signal === 'SIGKILL' };
    runs.push(rec);
    if (!rec.killed) {
      if (res.code !== 0) throw new Error(`${ctx0} run ${runs.length} failed (code ${res.code}, signal ${res.signal}):\n${res.stderr}`);
      break;
    }
    if (res.sent !== 'SIGKILL') throw new Error(`${ctx0} run ${runs.length} died of ${res.signal} without being killed:\n${res.stderr}`);
    killed++;
    landings[landingOf(res.phases)]++;
    // the temporary file of a full save (`<file>.<pid>.tmp`) is still there: killed between its creation and the rename
    if (fs.existsSync(`${checkpointFile(cfg.dir, cfg.name)}.${res.pid}.tmp`)) inFullSave++;
    try {
      maxFileSize = Math.max(maxFileSize, fs.statSync(checkpointFile(cfg.dir, cfg.name)).size);
    } catch {
      /* no checkpoint yet */
    }
    await checkCheckpoint(`${ctx0} after kill ${killed}`, cfg, effects, { effects: rec.effects, phases: res.phases });
  }
  const { problems } = checkGuarantee(cfg.n, runs, cfg.saveEvery ?? 1);
  expect({ ctx: ctx0, problems }).toEqual({ ctx: ctx0, problems: [] });
  expect(fs.existsSync(checkpointFile(cfg.dir, cfg.name))).toBe(false);
  expect(tmpFiles(cfg.dir)).toEqual([]); // temporaries of interrupted full saves are cleaned up
  const result = { seed, kills: killed, landings, inFullSave, maxFileSize, runs: runs.length, ownerlessLockStalls: stalls.count };
  // a lock left by a killed run is taken over at once: no rerun may be refused for it
  expect(stalls.count).toBe(0);
  summary[label] = result;
  return result;
}

/** Kill at the first S or F byte after a random number of phase bytes. */
function aimAtSave(maxAfter: number) {
  return (rng: () => number): RunChildOptions => {
    const after = randInt(rng, 1, maxAfter);
    return {
      onPhase: (b: PhaseByte, count: number, ctl: ChildControl) => {
        if (count >= after && (b === 'S' || b === 'F')) ctl.kill('SIGKILL');
      },
    };
  };
}

/**
 * Kill as soon as a full save starts once the body has had `minItems`..`minItems + 20` items: the
 * FileBackend writes a full save to a temporary file in the state directory first, so its
 * creation (seen through fs.watch) after the body started is a compaction of the journal (or a
 * failure snapshot).
 */
function aimAtFullSave(minItems: number) {
  return (rng: () => number, cfg: CrashChildConfig): RunChildOptions => {
    const items = randInt(rng, minItems, minItems + 20);
    let begun = 0;
    let armed = false;
    return {
      onPhase: (b: PhaseByte) => {
        if (b === 'B' && ++begun >= items) armed = true;
      },
      onStart: (ctl: ChildControl) => {
        const watcher = fs.watch(cfg.dir, (_event, file) => {
          if (armed && typeof file === 'string' && file.endsWith('.tmp')) ctl.kill('SIGKILL');
        });
        return () => watcher.close();
      },
    };
  };
}

function newConfig(label: string, loop: CrashLoop, extra: Partial<CrashChildConfig>): CrashChildConfig {
  const dir = tempDir('safe-state-crash-');
  return { dir, name: `crash-save-${label}`, loop, effects: path.join(dir, 'effects.txt'), n: 200, saveEvery: 1, durability: 'strict', ...extra };
}

describe('SIGKILL in the middle of saves: the checkpoint stays readable and complete', () => {
  afterAll(() => {
    if (process.env.CRASH_VERBOSE) process.stdout.write(`kill-in-save landings: ${JSON.stringify(summary, null, 1)}\n`);
  });

  it.concurrent('appends with checkpoint(state) records, and full snapshots from failures (for..of)', async () => {
    // every 7th item fails once per process: a failure snapshot, then a new run (another snapshot)
    const cfg = newConfig('journal-for-of', 'for-of', { n: 600, state: true, failEvery: 7 });
    const r = await series('journal-for-of', cfg, 30, aimAtSave(40));
    expect(r.kills).toBe(30);
    expect(r.landings.S + r.landings.F).toBeGreaterThanOrEqual(20);
    removeDir(cfg.dir);
  }, SERIES_TIMEOUT);

  it.concurrent('the same with an async generator (fingerprint records too)', async () => {
    const cfg = newConfig('journal-async-gen', 'async-gen', { n: 600, state: true, failEvery: 7 });
    const r = await series('journal-async-gen', cfg, 30, aimAtSave(40));
    expect(r.kills).toBe(30);
    expect(r.landings.S + r.landings.F).toBeGreaterThanOrEqual(20);
    removeDir(cfg.dir);
  }, SERIES_TIMEOUT);

  it.concurrent('saveEvery 3: at most the pending completions and the item in flight are lost', async () => {
    const cfg = newConfig('save-every-3', 'for-await', { n: 600, state: true, saveEvery: 3, failEvery: 11 });
    const r = await series('save-every-3', cfg, 20, aimAtSave(40));
    expect(r.kills).toBe(20);
    expect(r.landings.S + r.landings.F).toBeGreaterThanOrEqual(10);
    removeDir(cfg.dir);
  }, SERIES_TIMEOUT);

  it.concurrent('compactions: kills aimed at the full rewrite of the journal', async () => {
    // A 64 kB state makes every appended save ~64 kB, so the journal is compacted (rewritten in
    // full) every ~16 saves (COMPACT_BYTES = 1 MiB) instead of every 4096 records.
    const cfg = newConfig('compaction', 'for-await', { n: 1200, state: true, statePad: 64_000 });
    const r = await series('compaction', cfg, 16, aimAtFullSave(5));
    expect(r.kills).toBe(16);
    // most kills hit a full save between the creation of its temporary file and the rename
    expect(r.inFullSave).toBeGreaterThanOrEqual(6);
    // the journal stays compact: ~1 MiB of appends at most (without compaction it grows to ~32 MB)
    expect(r.maxFileSize).toBeLessThan(3 * 1024 * 1024);
    removeDir(cfg.dir);
  }, SERIES_TIMEOUT);
});
