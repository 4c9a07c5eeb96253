/**
 * The benchmark's results: their shape (also the `--json` output) and the human-readable table.
 */
import { formatKeyStorage, type KeyStorageReport } from './keys';

/** A target: `metric op value`, e.g. ratio <= 1.5. */
export interface Target {
  metric: 'ratio' | 'perItemUs' | 'overheadUs';
  op: '<=' | '<';
  value: number;
}

/** One measured cost against its in-process baseline. */
export interface Measurement {
  id: string;
  label: string;
  /** items per job run */
  items: number;
  /** interleaved rounds (each round measures the baseline and the contender once) */
  rounds: number;
  /** median µs per item of the contender */
  perItemUs: number;
  /** what the contender is compared with, measured in the same rounds */
  baseline: { label: string; perItemUs: number };
  /** median over rounds of (contender / baseline) */
  ratio: number;
  /** median over rounds of (contender - baseline), µs per item */
  overheadUs: number;
  target: Target;
  /** the number compared with the target */
  value: number;
  pass: boolean;
  /** per-round µs per item, in round order */
  samples: { perItemUs: number[]; baselineUs: number[] };
}

/** Cost of one whole job run (start to end) with a handful of items. */
export interface FixedCost {
  id: string;
  label: string;
  items: number;
  reps: number;
  medianMs: number;
  minMs: number;
  /** per-rep ms, in rep order */
  samplesMs: number[];
}

/** Everything one run of the benchmark found. */
export interface Report {
  version: 1;
  quick: boolean;
  node: string;
  platform: string;
  cpus: number;
  /** 1-minute load average at the start and at the end (other processes skew the numbers) */
  load: { start: number; end: number };
  dir: string;
  startedAt: string;
  durationMs: number;
  measurements: Measurement[];
  fixedCosts: FixedCost[];
  /** the `key` option at scale (checkpoint size per million keys, compaction, keyed job cost) */
  keyStorage: KeyStorageReport;
  /** whether every target was met */
  allPass: boolean;
}

/** Whether `value` meets `target`. */
export function meets(value: number, target: Target): boolean {
  return target.op === '<=' ? value <= target.value : value < target.value;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(1) : a >= 10 ? v.toFixed(2) : a >= 1 ? v.toFixed(3) : v.toFixed(4);
}

function metricText(m: Measurement): string {
  const unit = m.target.metric === 'ratio' ? 'x' : ' µs';
  const name = m.target.metric === 'ratio' ? 'ratio' : m.target.metric === 'perItemUs' ? 'per item' : 'overhead';
  return `${name} ${fmt(m.value)}${unit} ${m.target.op} ${m.target.value}${unit}`;
}

/** A plain-text table. */
export function table(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The report as a plain-text table. */
export function formatReport(r: Report): string {
  const out: string[] = [];
  out.push(`safe-state benchmark${r.quick ? ' (--quick: smoke run, numbers are rough)' : ''}`);
  out.push(`${r.node}, ${r.platform}, ${r.cpus} CPU(s), load ${r.load.start.toFixed(2)} -> ${r.load.end.toFixed(2)}, scratch dir ${r.dir}, ${(r.durationMs / 1000).toFixed(1)} s`);
  out.push('per item = median over rounds; ratio and overhead = median of per-round (contender vs. baseline of the same round)');
  out.push('');
  out.push(
    table(
      ['measurement', 'items x rounds', 'per item µs', 'baseline', 'baseline µs', 'ratio', 'overhead µs', 'target', 'result'],
      r.measurements.map((m) => [
        m.label,
        `${m.items} x ${m.rounds}`,
        fmt(m.perItemUs),
        m.baseline.label,
        fmt(m.baseline.perItemUs),
        `${fmt(m.ratio)}x`,
        fmt(m.overheadUs),
        metricText(m),
        m.pass ? 'PASS' : '** MISS **',
      ]),
      new Set([2, 4, 5, 6]),
    ),
  );
  out.push('');
  out.push('per-run fixed cost (whole job call: lock, load, first save, body, delete, unlock)');
  out.push(
    table(
      ['job', 'items', 'reps', 'median ms', 'min ms'],
      r.fixedCosts.map((f) => [f.label, String(f.items), String(f.reps), fmt(f.medianMs), fmt(f.minMs)]),
      new Set([1, 2, 3, 4]),
    ),
  );
  out.push('');
  out.push(formatKeyStorage(r.keyStorage, table));
  out.push('');
  const missed = r.measurements.filter((m) => !m.pass);
  out.push(missed.length === 0 ? 'all targets met' : `MISSED ${missed.length} target(s): ${missed.map((m) => m.id).join(', ')}`);
  return out.join('\n');
}
