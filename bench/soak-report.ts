/**
 * The crash soak's summary (bench/soak.ts): its shape (also the `--json` output) and its text form.
 */
import type { Landing } from '../spec/crash/crash-harness';

/** Where kills landed: the last phase byte the child wrote before it died. */
export const LANDING_NAMES: Record<Landing, string> = { none: 'start', B: 'body', S: 'save', F: 'fsync', D: 'saved' };

/** What the soak found on one backend. */
export interface BackendSummary {
  id: string;
  label: string;
  durability: string;
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
  version: 1;
  seed: number;
  itemsPerJob: number;
  killsPerBackend: number;
  saveEvery: 1;
  node: string;
  platform: string;
  backends: BackendSummary[];
  skipped: { what: string; why: string }[];
  violations: number;
  pass: boolean;
  durationMs: number;
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
  out.push(`${sum.itemsPerJob} items per job, saveEvery 1, ${sum.killsPerBackend} kills per backend, seed ${sum.seed} (--seed to replay the plan), ${sum.node}, ${sum.platform}, ${(sum.durationMs / 1000).toFixed(1)} s`);
  out.push('');
  const landingKeys = Object.values(LANDING_NAMES);
  out.push(
    table(
      ['backend', 'kills', 'runs', 'jobs done', 'items', 'repeats', 'max/kill', `landed ${landingKeys.join('/')}`, 'timed', 'after end', 'corrupt', 'lock stalls', 'violations', 'time'],
      sum.backends.map((b) => [
        b.label,
        String(b.kills),
        String(b.runs),
        String(b.jobs),
        String(b.items),
        String(b.repeats),
        String(b.maxRepeatsPerKill),
        landingKeys.map((k) => b.landings[k]).join('/'),
        String(b.timedKills),
        String(b.killedAfterEnd),
        String(b.corrupt),
        String(b.lockStalls),
        String(b.violations.length),
        `${(b.durationMs / 1000).toFixed(1)} s`,
      ]),
    ),
  );
  out.push('');
  for (const sk of sum.skipped) out.push(`not soaked: ${sk.what}: ${sk.why}`);
  for (const b of sum.backends) {
    if (b.violations.length === 0) continue;
    out.push('', `${b.label}: ${b.violations.length} violation(s):`);
    for (const v of b.violations.slice(0, 20)) out.push(`  - ${v}`);
    if (b.violations.length > 20) out.push(`  … and ${b.violations.length - 20} more`);
  }
  out.push('');
  out.push(
    sum.pass
      ? 'PASS: no item lost, repeats only for the item in flight (at most 1 per kill), no corrupt checkpoint, no rerun refused'
      : `FAIL: ${sum.violations} violation(s)`,
  );
  return out.join('\n');
}

