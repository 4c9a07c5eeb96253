/**
 * Helpers of the crash tests: spawn spec/fixtures/crash-child.ts with a phase pipe (fd 3,
 * SAFE_STATE_TEST_PHASE_FD), kill it at chosen phases, read its effects file and its checkpoint,
 * and check the resume guarantee.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { safeState, FileBackend, type Checkpoint } from '../../lib/index';
import type { CrashChildConfig } from '../fixtures/crash-child';
import { bundleChild } from './bundle-child';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const CHILD_SCRIPT = path.join(REPO_ROOT, 'spec/fixtures/crash-child.ts');

const bundled = new Map<string, string | null>();

/**
 * How to start the child (`script`: the crash fixture unless another one is given, e.g. the soak's
 * child in bench/). Starting it through tsx costs ~0.5 s of CPU per run (a crash series
 * starts ~100 runs), so the fixture and the library sources are bundled once per test process
 * with esbuild (the transpiler tsx itself uses, so the same stage-3 decorator lowering) and the
 * bundle runs under plain node. CRASH_CHILD_RUNNER=tsx runs the TypeScript fixture through tsx
 * instead; so does a checkout where esbuild cannot be loaded.
 */
export function childCommand(script: string = CHILD_SCRIPT): string[] {
  if (!bundled.has(script)) bundled.set(script, bundleChild(script));
  const out = bundled.get(script);
  return out ? [out] : ['--import', 'tsx', script];
}

export type PhaseByte = 'B' | 'S' | 'F' | 'D';

/** Where a kill landed, from the last phase byte the child wrote before it died. */
export type Landing = PhaseByte | 'none';

export interface ChildResult {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** every phase byte the child wrote, in order */
  phases: string;
  stdout: string;
  stderr: string;
  /** the signal the parent sent, if any */
  sent: NodeJS.Signals | null;
}

export interface ChildControl {
  /** sends `signal` once (later calls are ignored) */
  kill(signal?: NodeJS.Signals): void;
  /** phase bytes seen so far */
  readonly phases: string;
  readonly killed: boolean;
}

export interface RunChildOptions {
  /** called for every phase byte as it arrives (count = bytes seen so far, this one included) */
  onPhase?: (byte: PhaseByte, count: number, ctl: ChildControl) => void;
  /** called once after the spawn; may return a cleanup function (e.g. to stop a watcher) */
  onStart?: (ctl: ChildControl) => (() => void) | void;
  /** kill the child with SIGKILL when it runs longer than this (a hang is a failure) */
  timeoutMs?: number;
  /** the child script (default: spec/fixtures/crash-child.ts); it gets `cfg` as one JSON argument */
  script?: string;
  /**
   * node's arguments that start the child, before the JSON argument (default: `childCommand(script)`),
   * e.g. a bundle built with the database drivers left external (bench/soak-bundle.ts)
   */
  command?: string[];
}

/**
 * Runs the crash child once (under node itself, not the tsx CLI wrapper, so the parent's signals
 * reach the job process) with fd 3 as the phase pipe, and resolves when it has exited and
 * every phase byte has been read.
 */
export function runChild(cfg: CrashChildConfig | object, opts: RunChildOptions = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.command ?? childCommand(opts.script)), JSON.stringify(cfg)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, SAFE_STATE_TEST_PHASE_FD: '3', NODE_OPTIONS: '' },
    });
    let phases = '';
    let stdout = '';
    let stderr = '';
    let sent: NodeJS.Signals | null = null;
    const ctl: ChildControl = {
      kill(signal: NodeJS.Signals = 'SIGKILL') {
        if (sent) return;
        sent = signal;
        child.kill(signal);
      },
      get phases() {
        return phases;
      },
      get killed() {
        return sent !== null;
      },
    };
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const pipe = child.stdio[3] as Readable;
    pipe.on('data', (chunk: Buffer) => {
      for (const b of chunk.toString('latin1')) {
        phases += b;
        if (b === 'E') continue; // an item's effect (the child's `effectPhase`): in `phases` only
        if (!'BSFD'.includes(b)) {
          reject(new Error(`unexpected phase byte ${JSON.stringify(b)}`));
          continue;
        }
        opts.onPhase?.(b as PhaseByte, phases.length, ctl);
      }
    });
    const cleanup = opts.onStart?.(ctl);
    const timer = setTimeout(() => {
      stderr += `\n[harness] timed out after ${opts.timeoutMs ?? 30_000} ms`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (cleanup) cleanup();
      resolve({ pid: child.pid ?? -1, code, signal, phases, stdout, stderr, sent });
    });
  });
}

/** The item indices recorded in an effects file, in order (an absent file is empty). */
export function readEffects(file: string): number[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`torn effects line at the end of ${file}`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => {
      if (!/^\d+$/.test(l)) throw new Error(`bad effects line ${JSON.stringify(l)} in ${file}`);
      return Number(l);
    });
}

/** Reads a job's checkpoint through the library's public API (throws when it is unreadable). */
export async function peek(dir: string, name: string): Promise<Checkpoint | null> {
  const handle = safeState(async (_items: number[]) => undefined, { name, backend: new FileBackend({ dir }) });
  return handle.peekCheckpoint();
}

/** Checkpoint file of a job (to check that it is gone after success). */
export function checkpointFile(dir: string, name: string): string {
  return new FileBackend({ dir }).location(name);
}

export { prng } from '../helpers';

export function seedFor(label: string): number {
  // CRASH_SEED replays a series: it is the seed printed in the failure, used as it is
  const env = process.env.CRASH_SEED;
  if (env) return Number(env) >>> 0;
  let h = Date.now() >>> 0;
  for (const c of label) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h;
}

export function randInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function landingOf(phases: string): Landing {
  return phases === '' ? 'none' : (phases[phases.length - 1] as PhaseByte);
}

export function countOf(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** One run of the child: the effects it recorded and how it ended. */
export interface RunRecord {
  effects: number[];
  result: ChildResult;
  killed: boolean;
}

/**
 * Checks a checkpoint read right after a kill against the effects recorded so far:
 * - no item is done without its effect (nothing skipped),
 * - every item with an effect is done, except at most `inFlightBound` of the most recent ones
 *   (the item in flight, plus up to saveEvery - 1 completions not yet due for a save),
 * - with saveEvery 1: a kill after a finished save (last byte `D`) lost nothing, and a kill in
 *   the body after the item's effect (last byte `B`, one effect per `B`) left that item undone.
 * Returns the error text, or null when all holds.
 */
export function checkAfterKill(
  cp: Checkpoint | null,
  allEffects: number[],
  run: { effects: number[]; phases: string },
  inFlightBound: number,
  exactLanding: boolean,
): string | null {
  if (cp === null) {
    return allEffects.length === 0 ? null : `no checkpoint, but ${allEffects.length} effects were recorded`;
  }
  const done = new Set<number>(cp.completedIndices);
  if (done.size !== cp.completedIndices.size) return `completedIndices.size ${cp.completedIndices.size} != ${done.size} iterated`;
  const effected = new Set(allEffects);
  for (const d of done) if (!effected.has(d)) return `item ${d} is marked done but its effect never happened (it would be skipped)`;
  const missing = [...effected].filter((e) => !done.has(e));
  if (missing.length > inFlightBound) {
    return `${missing.length} items with effects are not done (at most ${inFlightBound} may be in flight): ${missing.slice(0, 10).join(',')}`;
  }
  const recent = new Set(uniqueTail(allEffects, inFlightBound));
  for (const m of missing) if (!recent.has(m)) return `item ${m} had its effect and completed long ago but is not done`;
  if (exactLanding && run.effects.length > 0) {
    const last = allEffects[allEffects.length - 1];
    const landing = landingOf(run.phases);
    if (landing === 'D' && !done.has(last)) return `killed after a finished save (D) but the last item ${last} is not done`;
    if (landing === 'B' && countOf(run.phases, 'B') === run.effects.length && done.has(last)) {
      return `killed in the body of item ${last} (after its effect) but it is marked done`;
    }
  }
  return null;
}

/** The last `k` distinct values of `xs` (most recent first). */
function uniqueTail(xs: number[], k: number): number[] {
  const out: number[] = [];
  for (let i = xs.length - 1; i >= 0 && out.length < k; i--) if (!out.includes(xs[i])) out.push(xs[i]);
  return out;
}

/**
 * The resume guarantee over a whole series of runs of a sequential job over 0..n-1 that ended
 * with a completed run: every item has an effect (none skipped); each run processes consecutive
 * items and starts right after the last item processed so far, or repeats that item (the one in
 * flight at the kill), so at most one repeated item per kill. With `saveEvery` k > 1 the
 * completions not yet due for a save may be repeated too: a run may start up to k items back.
 * Returns the list of problems (empty = ok) and the number of repeated effects.
 */
export function checkGuarantee(n: number, runs: RunRecord[], saveEvery = 1): { problems: string[]; repeats: number } {
  const problems: string[] = [];
  const all = runs.flatMap((r) => r.effects);
  const counts = new Map<number, number>();
  for (const e of all) {
    if (!Number.isInteger(e) || e < 0 || e >= n) problems.push(`effect for an item out of range: ${e}`);
    counts.set(e, (counts.get(e) ?? 0) + 1);
  }
  const never: number[] = [];
  for (let i = 0; i < n; i++) if (!counts.has(i)) never.push(i);
  if (never.length) problems.push(`${never.length} items were never processed (skipped): ${never.slice(0, 10).join(',')}`);
  let last: number | null = null;
  let repeats = 0;
  let killsSinceLast = 0;
  runs.forEach((r, k) => {
    const e = r.effects;
    if (e.length > 0) {
      const first = e[0];
      if (last === null) {
        if (first !== 0) problems.push(`run ${k} started at item ${first}, expected 0`);
      } else if (first <= last) {
        const back = last - first + 1;
        repeats += Math.min(back, e.length);
        if (back > saveEvery) problems.push(`run ${k} started at item ${first}, ${back} items back from the last processed item ${last} (at most ${saveEvery})`);
        if (killsSinceLast === 0) problems.push(`run ${k} repeated item ${first} without a kill before it`);
      } else if (first !== last + 1) {
        problems.push(`run ${k} started at item ${first} after the last processed item ${last} (expected ${last + 1}${saveEvery === 1 ? ` or ${last}` : ' or less'}): items were skipped`);
      }
      for (let j = 1; j < e.length; j++) {
        if (e[j] !== e[j - 1] + 1) {
          problems.push(`run ${k} processed ${e[j]} after ${e[j - 1]}`);
          break;
        }
      }
      last = Math.max(last ?? -1, e[e.length - 1]);
      killsSinceLast = 0; // only items in flight (or pending) at a later kill may be repeated
    }
    if (r.killed) killsSinceLast++;
  });
  const kills = runs.filter((r) => r.killed).length;
  const extra = all.length - counts.size;
  if (extra !== repeats) problems.push(`${extra} repeated effects, but ${repeats} repeats at run starts`);
  if (repeats > kills * saveEvery) problems.push(`${repeats} repeated items for ${kills} kills (at most ${saveEvery} per kill)`);
  const final = runs[runs.length - 1];
  if (!final || final.killed || final.result.code !== 0) problems.push('the series did not end with a completed run');
  return { problems, repeats };
}

/** Whether the job's lock directory exists without its owner record. */
export function ownerlessLock(dir: string, name: string): boolean {
  const lockDir = `${checkpointFile(dir, name)}.lock`;
  return fs.existsSync(lockDir) && !fs.existsSync(path.join(lockDir, 'owner.json'));
}

/** The lock directory of a job (FileBackend: `<file>.lock`, proper-lockfile). */
export function lockDirOf(dir: string, name: string): string {
  return `${checkpointFile(dir, name)}.lock`;
}

/**
 * How long FileBackend waits before it takes over a lock directory that has no owner record
 * (OWNERLESS_GRACE_MS in lib/backends/file/file-lock.ts), plus a margin.
 */
export const OWNERLESS_WAIT_MS = 5_300;

/**
 * Runs the child; when it fails with JobLockedError because a kill left the lock directory
 * without its owner record, counts that in `stalls` and runs it again once the lock's grace
 * time has passed.
 *
 * A SIGKILL while a run took or released the lock once left an ownerless lock directory that
 * refused runs for 5 s (fixed: claim files, see lib/backends/file/file-lock.ts). The series count
 * such refusals and assert there were none.
 */
export async function runChildPastOwnerlessLock(cfg: CrashChildConfig, makeOptions: () => RunChildOptions, stalls: { count: number }): Promise<ChildResult> {
  for (let attempt = 0; ; attempt++) {
    const res = await runChild(cfg, makeOptions());
    if (attempt < 2 && res.code === 1 && res.stderr.includes('JobLockedError') && ownerlessLock(cfg.dir, cfg.name)) {
      stalls.count++;
      await new Promise((r) => setTimeout(r, OWNERLESS_WAIT_MS));
      continue;
    }
    return res;
  }
}

/** Removes a temp dir (best effort). */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
