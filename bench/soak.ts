/**
 * Crash soak: `npm run soak -- --kills 200`.
 *
 * At-least-once (the default delivery): on each backend of bench/soak-backends.ts (File 'strict'
 * and 'process', Redis, SQLite, MariaDB, PostgreSQL), a job over `--items` items (default 10,000)
 * at saveEvery 1 is SIGKILLed at random moments `--kills` times (default 200) and rerun until it
 * completes; when a job completes before the kills are spent, another one starts. Every item's
 * effect goes to an external ledger (an effects file written by the job body before the item can
 * count as done), and the soak checks:
 *
 * - after every kill: the checkpoint is readable (never corrupt), every item it marks done has its
 *   effect, and every item with an effect is done except the item in flight (and, on FileBackend,
 *   from the last phase byte: a kill after a finished save lost nothing, a kill in the body after
 *   the effect left that item undone; the other backends write no save phase bytes to tell);
 * - over each job: no item lost (every item has an effect), each run continues right after the
 *   last processed item or repeats that one item (at most one repeat per kill), the job ends with a
 *   completed run, and its checkpoint is gone afterwards;
 * - no rerun is refused for a lock left by a killed run.
 *
 * Kills are aimed at random moments (bench/soak-kill-plan.ts): a random time after the spawn within
 * the start-up, or a random item and then a moment read from the phase pipe
 * (SAFE_STATE_TEST_PHASE_FD): on FileBackend the next byte matching a random aim (in a save, in the
 * body, anywhere); on the others a `B` (an item handed to the body) or a random 0–4 ms after one.
 * Runs pick at random the loop form among those the backend is soaked under (`for..of` only where
 * saves can be synchronous: File, SQLite; see bench/soak-backends.ts and SPEC §4), a random amount
 * of work around each item's effect, and sometimes `checkpoint(state)` with a random-sized state
 * (so journal compactions happen often).
 *
 * Exactly-once (SPEC §8): on SQLite, MariaDB and PostgreSQL, bench/exactly-once-soak.ts with the
 * same `--kills` and jobs of `--eo-items` items (default: --items, at most 1,000, since each item
 * is a transaction committed on the database); the effects table is the ledger and no item may
 * have two effects (bench/soak-exactly-once.ts).
 *
 * Servers (Redis, MariaDB, PostgreSQL): SAFE_STATE_SOAK_*_URL, else the test suite's
 * SAFE_STATE_TEST_*_URL, else throwaway servers when their binaries are installed, else the
 * backend is skipped with the reason (bench/soak-servers.ts).
 *
 * Options: `--kills N` (per backend), `--items N`, `--eo-items N`, `--seed N` (replays the plan;
 * kill timing still depends on the machine), `--backends id,id` (ids of bench/soak-backends.ts and
 * eo-sqlite, eo-mariadb, eo-postgres), `--json` (the summary as JSON on stdout), `--dir <path>`
 * (parent of the scratch directory), `--keep` (keep the scratch directory), `--verbose` (a line per
 * kill on stderr), `--fault lose-item` (the job body skips one item's effect, as a lost item would
 * look: the soak must report it and exit 1).
 * Exit: 0 when nothing was violated, 1 on any violation, 2 on a usage error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { safeState, type Checkpoint } from '../lib/index';
import {
  checkAfterKill,
  checkGuarantee,
  landingOf,
  OWNERLESS_WAIT_MS,
  prng,
  randInt,
  readEffects,
  runChild,
  type RunRecord,
} from '../spec/crash/crash-harness';
import { SOAK_BACKENDS, SOAK_SKIPPED, type SoakBackend, type SoakPlace } from './soak-backends';
import type { SoakChildConfig } from './soak-child';
import { removeSoakBundles, soakChildCommand } from './soak-bundle';
import { AIMS, aimOf, killWatch, planKill } from './soak-kill-plan';
import { EXACTLY_ONCE_TARGETS, exactlyOnceUnavailable, soakExactlyOnce, type ExactlyOnceRow } from './soak-exactly-once';
import { resolveSoakServers, SERVER_LABELS, type ServerKind, type SoakServers } from './soak-servers';
import { formatSummary, LANDING_NAMES, type BackendSummary, type SoakSummary } from './soak-report';

const CHILD = path.join(__dirname, 'soak-child.ts');
const ALL_IDS = [...SOAK_BACKENDS.map((b) => b.id), ...EXACTLY_ONCE_TARGETS.map((t) => t.id)];
const USAGE = 'usage: npm run soak -- [--kills N] [--items N] [--eo-items N] [--seed N] [--backends id,id] [--json] [--dir <path>] [--keep] [--verbose] [--fault lose-item]';

interface Args {
  kills: number;
  items: number;
  /** items per job of the exactly-once rows (null: --items, at most 1,000) */
  eoItems: number | null;
  seed: number;
  backends: string[] | null;
  json: boolean;
  dir: string | undefined;
  keep: boolean;
  verbose: boolean;
  /** a fault injected on purpose, to show that the checks catch it (see SoakChildConfig.fault) */
  fault: 'lose-item' | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { kills: 200, items: 10_000, eoItems: null, seed: Date.now() >>> 0, backends: null, json: false, dir: undefined, keep: false, verbose: false, fault: null };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isSafeInteger(n) || n < min) usage(`${name} needs an integer >= ${min} (got ${JSON.stringify(v)})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--kills') args.kills = int(a, argv[++i], 0);
    else if (a === '--items') args.items = int(a, argv[++i], 2);
    else if (a === '--eo-items') args.eoItems = int(a, argv[++i], 2);
    else if (a === '--seed') args.seed = int(a, argv[++i], 0);
    else if (a === '--backends') args.backends = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--json') args.json = true;
    else if (a === '--dir') args.dir = argv[++i];
    else if (a === '--keep') args.keep = true;
    else if (a === '--verbose') args.verbose = true;
    else if (a === '--fault') {
      const f = argv[++i];
      if (f !== 'lose-item') usage(`unknown fault ${JSON.stringify(f)} (known: lose-item)`);
      args.fault = f;
    }
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else usage(`unknown argument ${JSON.stringify(a)}`);
  }
  if (args.backends) {
    const unknown = args.backends.filter((id) => !ALL_IDS.includes(id));
    if (unknown.length) usage(`unknown backend(s) ${unknown.join(', ')} (known: ${ALL_IDS.join(', ')})`);
  }
  return args;
}

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)];
}

async function peek(b: SoakBackend, place: SoakPlace, name: string): Promise<Checkpoint | null> {
  const backend = await b.open(place);
  try {
    return await safeState(async (_items: number[]) => undefined, { name, backend }).peekCheckpoint();
  } finally {
    await backend.close();
  }
}

/** Most items one run repeated: how far back it started from the last item processed before it. */
function maxBack(runs: RunRecord[]): number {
  let last = -1;
  let most = 0;
  for (const r of runs) {
    if (r.effects.length === 0) continue;
    if (r.effects[0] <= last) most = Math.max(most, last - r.effects[0] + 1);
    last = Math.max(last, r.effects[r.effects.length - 1]);
  }
  return most;
}

function tail(s: string, n = 600): string {
  const t = s.trim();
  return t.length > n ? '…' + t.slice(-n) : t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function soakBackend(b: SoakBackend, args: Args, scratch: string, serverUrl: string | null, log: (m: string) => void): Promise<BackendSummary> {
  const t0 = Date.now();
  const rng = prng((args.seed ^ [...b.id].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7)) >>> 0);
  const s: BackendSummary = {
    id: b.id,
    label: b.label,
    durability: b.durability,
    savePhases: b.savePhases,
    loops: Object.fromEntries(b.loops.map((l) => [l, 0])),
    kills: 0,
    runs: 0,
    jobs: 0,
    items: 0,
    effects: 0,
    repeats: 0,
    maxRepeatsPerKill: 0,
    landings: Object.fromEntries(Object.values(LANDING_NAMES).map((n) => [n, 0])),
    timedKills: 0,
    aims: Object.fromEntries(AIMS.map((a) => [a, 0])),
    killedAfterEnd: 0,
    corrupt: 0,
    lockStalls: 0,
    violations: [],
    durationMs: 0,
  };
  const violate = (m: string) => {
    s.violations.push(m);
    log(`${b.label}: VIOLATION ${m}`);
  };
  let startupMs = 250; // spawn to first item, a running estimate
  const n = args.items;
  for (let job = 1; ; job++) {
    const series = `${b.id}-job${job}`;
    fs.mkdirSync(path.join(scratch, series), { recursive: true });
    const place = await b.place(scratch, series, serverUrl);
    const effects = path.join(scratch, series, 'effects.txt');
    const name = `soak-${series}`;
    const runs: RunRecord[] = [];
    let seen = new Set<number>();
    let aborted = false;
    for (;;) {
      if (runs.length > args.kills * 3 + 50) {
        violate(`[${b.id} job ${job}, seed ${args.seed}] the job did not complete after ${runs.length} runs`);
        aborted = true;
        break;
      }
      const runNo = runs.length + 1;
      const ctx = (k: number) => `[${b.id} job ${job}, run ${runNo}, kill ${k}, seed ${args.seed}]`;
      const killing = s.kills < args.kills;
      const before = readEffects(effects).length;
      const plan = killing ? planKill(rng, n - seen.size, args.kills - s.kills, startupMs, b.savePhases) : null;
      const statePad = rng() < 0.25 ? randInt(rng, 16, 4096) : 0;
      const cfg: SoakChildConfig = {
        backend: b.id,
        place,
        name,
        n,
        loop: pick(rng, b.loops),
        effects,
        workBeforeUs: rng() < 0.5 ? 0 : randInt(rng, 0, 200),
        workAfterUs: rng() < 0.5 ? 0 : randInt(rng, 0, 200),
        statePad,
        fault: args.fault,
      };
      const spawnedAt = performance.now();
      let firstItemAt = 0;
      const watch = plan ? killWatch(plan) : null;
      s.runs++;
      s.loops[cfg.loop]++;
      const res = await runChild(cfg, {
        command: soakChildCommand(CHILD),
        timeoutMs: 300_000,
        onStart: watch?.onStart,
        onPhase: (byte, _count, ctl) => {
          if (byte === 'B' && firstItemAt === 0) firstItemAt = performance.now();
          watch?.onPhase?.(byte, ctl);
        },
      });
      if (firstItemAt > 0) startupMs = 0.7 * startupMs + 0.3 * (firstItemAt - spawnedAt);
      let all: number[];
      try {
        all = readEffects(effects);
      } catch (e) {
        violate(`${ctx(s.kills)} the effects ledger is unreadable: ${(e as Error).message}`);
        aborted = true;
        break;
      }
      const rec: RunRecord = { effects: all.slice(before), result: res, killed: res.signal === 'SIGKILL' };
      seen = new Set(all);
      if (!rec.killed) {
        if (res.code === 1 && res.stderr.includes('JobLockedError')) {
          s.lockStalls++;
          violate(`${ctx(s.kills)} a rerun was refused for the lock of a killed run: ${tail(res.stderr, 300)}`);
          await sleep(OWNERLESS_WAIT_MS);
          continue;
        }
        if (res.code !== 0) {
          if (res.stderr.includes('CheckpointCorruptError')) s.corrupt++;
          violate(`${ctx(s.kills)} a run failed (code ${res.code}, signal ${res.signal}): ${tail(res.stderr)}`);
          aborted = true;
          break;
        }
        runs.push(rec);
        break; // the job completed (possibly just before a kill arrived)
      }
      runs.push(rec);
      if (res.sent !== 'SIGKILL') {
        violate(`${ctx(s.kills)} the run died of ${res.signal} without being killed: ${tail(res.stderr)}`);
        aborted = true;
        break;
      }
      s.kills++;
      if (plan?.kind === 'timed') s.timedKills++;
      if (plan) s.aims[aimOf(plan)]++;
      const landing = landingOf(res.phases);
      s.landings[LANDING_NAMES[landing]]++;
      let cp: Checkpoint | null;
      try {
        cp = await peek(b, place, name);
      } catch (e) {
        s.corrupt++;
        violate(`${ctx(s.kills)} the checkpoint is unreadable after a kill that landed in ${LANDING_NAMES[landing]}: ${String(e)}`);
        aborted = true;
        break;
      }
      // The job may have completed (and deleted its checkpoint) after the kill was decided but
      // before it landed: the child then dies between the job's end and its exit. That is so
      // when it said so, or when nothing else can explain a missing checkpoint: every item has
      // its effect, this run ended with the last item, and the kill landed after it: right after
      // a finished save on FileBackend (`D`, the last item's); on the others, which write no save
      // phases, after the last item was handed out (`B`). The job is then complete; the kill
      // still counts.
      const last = rec.effects[rec.effects.length - 1];
      const afterLastSave = b.savePhases ? landing === 'D' : landing !== 'none';
      if (res.stdout.includes('complete') || (cp === null && afterLastSave && seen.size === n && last === n - 1)) {
        s.killedAfterEnd++;
        if (cp !== null) violate(`${ctx(s.kills)} the job completed but its checkpoint is still there`);
        runs[runs.length - 1] = { ...rec, killed: false, result: { ...res, code: 0 } };
        break;
      }
      // exactLanding only where saves write phase bytes (see bench/soak-backends.ts, savePhases)
      const problem = checkAfterKill(cp, all, { effects: rec.effects, phases: res.phases }, 1, b.savePhases);
      if (problem) violate(`${ctx(s.kills)} after a kill that landed in ${LANDING_NAMES[landing]} (phases …${res.phases.slice(-12)}): ${problem}`);
      if (args.verbose || s.kills % 25 === 0) {
        log(`${b.label}: kill ${s.kills}/${args.kills} landed in ${LANDING_NAMES[landing]} (${plan?.kind === 'timed' ? 'timed' : `aimed at ${plan ? aimOf(plan) : '?'}`}), job ${job}: ${seen.size}/${n} items have effects, ${cp?.completedIndices.size ?? 0} done`);
      }
    }
    if (aborted) break;
    const { problems, repeats } = checkGuarantee(n, runs, 1);
    for (const p of problems) violate(`[${b.id} job ${job}, seed ${args.seed}] ${p}`);
    s.jobs++;
    s.items += n;
    s.effects += runs.reduce((k, r) => k + r.effects.length, 0);
    s.repeats += repeats;
    s.maxRepeatsPerKill = Math.max(s.maxRepeatsPerKill, maxBack(runs));
    try {
      if (await peek(b, place, name)) violate(`[${b.id} job ${job}] the checkpoint is still there after the job completed`);
    } catch (e) {
      violate(`[${b.id} job ${job}] reading the checkpoint after completion failed: ${String(e)}`);
    }
    await b.cleanup?.(place);
    log(`${b.label}: job ${job} complete after ${runs.length} runs; ${s.kills}/${args.kills} kills so far`);
    if (s.kills >= args.kills) break;
  }
  s.durationMs = Date.now() - t0;
  return s;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const scratch = fs.mkdtempSync(path.join(args.dir ?? os.tmpdir(), 'safe-state-soak-'));
  const log = (m: string) => process.stderr.write(`[soak] ${m}\n`);
  const skipped = [...SOAK_SKIPPED];
  const chosen = (id: string) => !args.backends || args.backends.includes(id);
  const eoItems = args.eoItems ?? Math.min(args.items, 1_000);
  log(`seed ${args.seed}, ${args.kills} kills per backend, ${args.items} items per job (exactly-once: ${eoItems}), scratch ${scratch}`);

  // what can run: drivers first, then the servers the rest needs
  const backends: SoakBackend[] = [];
  for (const b of SOAK_BACKENDS.filter((x) => chosen(x.id))) {
    const why = b.unavailable();
    if (why) skipped.push({ what: b.label, why });
    else backends.push(b);
  }
  const targets: typeof EXACTLY_ONCE_TARGETS = [];
  for (const t of EXACTLY_ONCE_TARGETS.filter((x) => chosen(x.id))) {
    const why = exactlyOnceUnavailable(t);
    if (why) skipped.push({ what: `exactly-once ${t.label}`, why });
    else targets.push(t);
  }
  const kinds = [...new Set([...backends, ...targets].map((x) => x.server).filter((k): k is ServerKind => k !== null))];
  const servers: SoakServers = await resolveSoakServers(kinds, log);
  const onSignal = (signal: NodeJS.Signals) => {
    servers.stop();
    removeSoakBundles();
    log(`${signal}: servers stopped; scratch directory left at ${scratch}`);
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const serverOf = (kind: ServerKind | null): { url: string | null } | { why: string } => {
    if (kind === null) return { url: null };
    const s = servers.found[kind];
    return s ? { url: s.url } : { why: `${SERVER_LABELS[kind]}: ${servers.missing[kind] ?? 'not available'}` };
  };

  const results: BackendSummary[] = [];
  const exactlyOnce: ExactlyOnceRow[] = [];
  try {
    for (const b of backends) {
      const srv = serverOf(b.server);
      if ('why' in srv) {
        skipped.push({ what: b.label, why: srv.why });
        continue;
      }
      log(`${b.label}: starting (loops: ${b.loops.join(', ')})`);
      results.push(await soakBackend(b, args, scratch, srv.url, log));
    }
    for (const t of targets) {
      const srv = serverOf(t.server);
      if ('why' in srv) {
        skipped.push({ what: `exactly-once ${t.label}`, why: srv.why });
        continue;
      }
      log(`exactly-once ${t.label}: starting`);
      const row = await soakExactlyOnce(t, { where: srv.url, scratch, kills: args.kills, items: eoItems, seed: args.seed, verbose: args.verbose, log });
      for (const v of row.violations) log(`exactly-once ${t.label}: VIOLATION ${v}`);
      log(`exactly-once ${t.label}: ${row.kills} kills, ${row.jobs} jobs, ${row.repeats} repeats, ${row.missing} missing`);
      exactlyOnce.push(row);
    }
  } finally {
    servers.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const violations = [...results, ...exactlyOnce].reduce((k, r) => k + r.violations.length, 0);
  const summary: SoakSummary = {
    version: 2,
    seed: args.seed,
    itemsPerJob: args.items,
    exactlyOnceItemsPerJob: eoItems,
    killsPerBackend: args.kills,
    saveEvery: 1,
    node: `node ${process.version}`,
    platform: `${process.platform} ${process.arch}, ${os.cpus().length} CPU(s)`,
    servers: Object.fromEntries(kinds.filter((k) => servers.found[k]).map((k) => [SERVER_LABELS[k], servers.found[k]!.source])),
    backends: results,
    exactlyOnce,
    skipped,
    violations,
    pass: violations === 0 && results.length + exactlyOnce.length > 0,
    durationMs: Date.now() - t0,
  };
  if (args.keep || violations > 0) log(`scratch directory kept for inspection: ${scratch}`);
  else fs.rmSync(scratch, { recursive: true, force: true });
  process.stdout.write(args.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary) + '\n');
  process.exitCode = summary.pass ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
