/**
 * The crash soak's summary (bench/soak.ts): its shape (also the `--json` output) and its text form:
 * a table of the at-least-once backends (File, Redis, SQLite, MariaDB, PostgreSQL) and one of the
 * exactly-once transaction mode (SQLite, MariaDB, PostgreSQL).
 */
import type { Landing } from '../spec/crash/crash-harness';
import type { ExactlyOnceRow } from './soak-exactly-once';
import { AIMS } from './soak-kill-plan';

/** Where kills landed: the last phase byte the child wrote before it died. */
export const LANDING_NAMES: Record<Landing, string> = { none: 'start', B: 'body', S: 'save', F: 'fsync', D: 'saved' };

/** What the soak found on one backend. */
export interface BackendSummary {
  id: string;
  label: string;
  durability: string;
  /** whether the backend writes the save phase bytes S/F/D (FileBackend), so kills can aim at saves */
  savePhases: boolean;
  /** runs per loop form (only the forms soaked on this backend: see bench/soak-backends.ts) */
  loops: Record<string, number>;
  kills: number;
  /** child processes started (killed ones, completing ones, refused ones) */
  runs: number;
  /** jobs run to completion */
  jobs: number;
  /** items of the completed jobs */
  items: number;
  /** effects in the ledger (items + repeats) */
  effects: number;
  /** items processed twice (each the item in flight at a kill) */
  repeats: number;
  /** most items repeated after one kill (must be <= 1 at saveEvery 1) */
  maxRepeatsPerKill: number;
  /** kills by where they landed: start (before any phase byte), body, save, fsync, saved */
  landings: Record<string, number>;
  /** kills aimed at a random time after the spawn (the others at a random item and phase) */
  timedKills: number;
  /** kills by aim: timed, save, body, any (a random phase byte), after-body (0–4 ms after a B); see bench/soak-kill-plan.ts */
  aims: Record<string, number>;
  /** kills that landed after the job had completed (between its end and the process's exit) */
  killedAfterEnd: number;
  /** checkpoints that could not be read after a kill */
  corrupt: number;
  /** reruns refused for a lock left by a killed run */
  lockStalls: number;
  violations: string[];
  durationMs: number;
}

export interface SoakSummary {
  /** 2: added exactlyOnce, exactlyOnceItemsPerJob, servers, and per backend savePhases, loops, aims */
  version: 2;
  seed: number;
  itemsPerJob: number;
  /** items per job of the exactly-once rows (`--eo-items`) */
  exactlyOnceItemsPerJob: number;
  killsPerBackend: number;
  saveEvery: 1;
  node: string;
  platform: string;
  /** the servers used, by kind: where they came from (passwords masked) */
  servers: Record<string, string>;
  backends: BackendSummary[];
  /** the exactly-once transaction mode, per database */
  exactlyOnce: ExactlyOnceRow[];
  skipped: { what: string; why: string }[];
  violations: number;
  pass: boolean;
  durationMs: number;
}

const LOOP_SHORT: Record<string, string> = { 'for-of': 'of', 'for-await': 'await', 'async-gen': 'agen', 'sync-gen': 'sgen' };
function shortLoop(l: string): string {
  return LOOP_SHORT[l] ?? l;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The summary as text. */
export function formatSummary(sum: SoakSummary): string {
  const out: string[] = [];
  out.push(`safe-state crash soak: SIGKILL at random moments, rerun until done, checked against an external effects ledger`);
  out.push(`${sum.killsPerBackend} kills per backend, saveEvery 1, seed ${sum.seed} (--seed to replay the plan), ${sum.node}, ${sum.platform}, ${(sum.durationMs / 1000).toFixed(1)} s`);
  for (const [kind, where] of Object.entries(sum.servers)) out.push(`${kind}: ${where}`);
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  if (sum.backends.length) {
    out.push('');
    out.push(`at-least-once: ${sum.itemsPerJob} items per job; every item's effect at least once, repeats only for the item in flight`);
    const landingKeys = Object.values(LANDING_NAMES);
    out.push(
      table(
        ['backend', 'kills', 'runs', 'jobs done', 'items', 'repeats', 'max/kill', 'loops', `landed ${landingKeys.join('/')}`, `aimed ${AIMS.join('/')}`, 'after end', 'corrupt', 'lock stalls', 'violations', 'time'],
        sum.backends.map((b) => [
          b.label,
          String(b.kills),
          String(b.runs),
          String(b.jobs),
          String(b.items),
          String(b.repeats),
          String(b.maxRepeatsPerKill),
          Object.keys(b.loops).map(shortLoop).join(','),
          landingKeys.map((k) => b.landings[k]).join('/'),
          AIMS.map((k) => b.aims[k] ?? 0).join('/'),
          String(b.killedAfterEnd),
          String(b.corrupt),
          String(b.lockStalls),
          String(b.violations.length),
          secs(b.durationMs),
        ]),
      ),
    );
  }
  if (sum.exactlyOnce.length) {
    out.push('');
    out.push(`exactly-once transaction mode: ${sum.exactlyOnceItemsPerJob} items per job, each a transaction on the database that holds the checkpoint; every item's effect exactly once`);
    out.push(
      table(
        ['database', 'kills', 'runs', 'jobs done', 'items', 'effects', 'repeats', 'missing', 'aimed K/Kd/B/T', 'after end', 'violations', 'time'],
        sum.exactlyOnce.map((r) => [
          r.label,
          String(r.kills),
          String(r.runs),
          String(r.jobs),
          String(r.items),
          String(r.effects),
          String(r.repeats),
          String(r.missing),
          ['K', 'Kd', 'B', 'T'].map((k) => r.landings[k] ?? 0).join('/'),
          String(r.killedAfterEnd),
          String(r.violations.length),
          secs(r.durationMs),
        ]),
      ),
    );
  }
  out.push('');
  for (const sk of sum.skipped) out.push(`not soaked: ${sk.what}: ${sk.why}`);
  for (const b of [...sum.backends, ...sum.exactlyOnce.map((r) => ({ ...r, label: `exactly-once ${r.label}` }))]) {
    if (b.violations.length === 0) continue;
    out.push('', `${b.label}: ${b.violations.length} violation(s):`);
    for (const v of b.violations.slice(0, 20)) out.push(`  - ${v}`);
    if (b.violations.length > 20) out.push(`  … and ${b.violations.length - 20} more`);
  }
  out.push('');
  out.push(
    sum.pass
      ? `PASS: no item lost, repeats only for the item in flight (at most 1 per kill)${sum.exactlyOnce.length ? ', zero repeats in the exactly-once mode' : ''}, no corrupt checkpoint, no rerun refused`
      : `FAIL: ${sum.violations} violation(s)`,
  );
  return out.join('\n');
}

