import * as os from 'node:os';
/**
 * The benchmark's results: their shape (also the `--json` output) and the human-readable table.
 */
import { formatKeyStorage, type KeyStorageReport } from './keys';
import { formatSharedWorkers, type SharedWorkersReport } from './shared-workers';

/** A target: `metric op value`, e.g. ratio <= 1.5. */
export interface Target {
  metric: 'ratio' | 'perItemUs' | 'overheadUs';
  op: '<=' | '<';
  value: number;
}

/**
 * What one sample of a measurement is: the cost per `item` of a loop (the default), of one
 * `resume` (job call to its first resumed item, in-process), or of one process `start` (spawn to
 * the first resumed item). Whatever it is, the fields named `...Us` hold microseconds of it.
 */
export type Per = 'item' | 'resume' | 'start';

/** One measured cost against its in-process baseline. */
export interface Measurement {
  id: string;
  label: string;
  /** what one sample measures (absent = 'item') */
  per?: Per;
  /** items per job run (for per 'resume' and 'start': items of the job's input) */
  items: number;
  /** interleaved rounds (each round measures the baseline and the contender once) */
  rounds: number;
  /** median µs per item (per resume, per start: see `per`) of the contender */
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

/** A row that could not be measured in this run (e.g. its server is not installed), and why. */
export interface SkippedRow {
  id: string;
  label: string;
  /** e.g. 'redis-server not installed' */
  reason: string;
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

/** A module's cost to load in a fresh process (`require` of it alone), part of the resume latency. */
export interface ModuleCost {
  module: string;
  reps: number;
  medianMs: number;
  samplesMs: number[];
}

/**
 * Where the time of a resume in a fresh process goes: medians of the child's own clock
 * (`performance.now()`, ms since its process started) at three points, and of the parent's
 * spawn-to-first-item wall time; plus what loading each dependency alone costs.
 */
export interface ResumeLatencyDetail {
  /** items of the resumed job and the index it resumes at */
  items: number;
  resumeAt: number;
  variants: {
    id: string;
    label: string;
    /** parent: spawn() to the child's first line on stdout */
    wallMs: number;
    /** median over rounds of (this variant's wallMs - the bare start's of the same round) */
    overBareMs: number;
    /** child: its main script started (node's own start-up before it) */
    scriptMs: number;
    /** child: safe-state and its dependencies loaded */
    loadedMs: number | null;
    /** child: the job body got its first (resumed) item */
    firstItemMs: number | null;
  }[];
  modules: ModuleCost[];
  /**
   * The same steps a run takes before its body gets an item, done cold one by one in a fresh
   * process through the public API (bench/fixtures/resume-probe.ts): median ms per step.
   */
  steps: { step: string; medianMs: number }[];
}

/** Everything one run of the benchmark found. */
export interface Report {
  version: 1;
  quick: boolean;
  node: string;
  platform: string;
  cpus: number;
  /** CPU model (os.cpus()[0].model) */
  cpuModel: string;
  /** 1-minute load average at the start and at the end (other processes skew the numbers) */
  load: { start: number; end: number };
  dir: string;
  startedAt: string;
  durationMs: number;
  measurements: Measurement[];
  /** every measurement's ratio (contender / baseline, median of per-round ratios), by id */
  ratios: Record<string, number>;
  fixedCosts: FixedCost[];
  /** the `key` option at scale (checkpoint size per million keys, compaction, keyed job cost); absent when not run */
  keyStorage?: KeyStorageReport;
  /** breakdown of the resume latency rows (absent when they were not run) */
  resumeLatency?: ResumeLatencyDetail;
  /** rows that could not be measured, and why (in the table as `skipped: <reason>`) */
  skipped?: SkippedRow[];
  /** sections that started and failed, and why (in the table as `FAILED: <reason>`; each counts as a miss) */
  failed?: SkippedRow[];
  /** 4 shared workers vs. 1 (the `shared` section) */
  sharedWorkers?: SharedWorkersReport;
  /** whether every target was met (skipped rows aside) */
  allPass: boolean;
  /** what the run could not measure and why (e.g. a server binary missing) */
  notes?: string[];
}

/** The parts of a report that describe the run itself. */
export interface RunInfo {
  quick: boolean;
  dir: string;
  /** Date.now() at the start */
  started: number;
  /** 1-minute load average at the start */
  loadStart: number;
}

/**
 * A report of `measurements` (machine, load, duration, ratios by id, whether every target was
 * met), plus the extra sections of the caller.
 */
export function makeReport(run: RunInfo, measurements: Measurement[], fixedCosts: FixedCost[], extra: Partial<Report> = {}): Report {
  return {
    version: 1,
    quick: run.quick,
    node: `node ${process.version}`,
    platform: `${process.platform} ${process.arch}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    load: { start: run.loadStart, end: os.loadavg()[0] },
    dir: run.dir,
    startedAt: new Date(run.started).toISOString(),
    durationMs: Date.now() - run.started,
    measurements,
    ratios: Object.fromEntries(measurements.map((m) => [m.id, m.ratio])),
    fixedCosts,
    ...extra,
    allPass: measurements.every((m) => m.pass) && (extra.sharedWorkers?.rows ?? []).every((x) => x.pass) && (extra.failed ?? []).length === 0,
  };
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

/** A duration given in µs, in µs below 10 ms and in ms above. */
function fmtUs(us: number): string {
  return Math.abs(us) >= 10_000 ? `${fmt(us / 1000)} ms` : `${fmt(us)} µs`;
}

const PER_TEXT: Record<Per, string> = { item: '/item', resume: '/resume', start: '/start' };

function metricText(m: Measurement): string {
  const t = m.target;
  if (t.metric === 'ratio') return `ratio ${fmt(m.value)}x ${t.op} ${t.value}x`;
  const name = t.metric === 'perItemUs' ? (m.per ?? 'item') === 'item' ? 'per item' : 'median' : 'overhead';
  return `${name} ${fmtUs(m.value)} ${t.op} ${fmtUs(t.value)}`;
}

/** A plain-text table. */
export function table(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function formatResumeLatency(d: ResumeLatencyDetail): string[] {
  const ms = (v: number | null) => (v === null ? '-' : fmt(v));
  const out = [`resume latency in a fresh process (${d.items} items, resuming at item ${d.resumeAt}): medians, ms since the child process started`];
  out.push(
    table(
      ['process', 'spawn to first item (parent)', 'over bare start', 'script starts', 'safe-state loaded', 'first resumed item'],
      d.variants.map((v) => [v.label, ms(v.wallMs), v.id === 'bare' ? '-' : fmt(v.overBareMs), ms(v.scriptMs), ms(v.loadedMs), ms(v.firstItemMs)]),
      new Set([1, 2, 3, 4, 5]),
    ),
  );
  if (d.steps.length > 0) {
    out.push('', 'the same steps done cold, one by one, in a fresh process (median ms each)');
    out.push(table(['step', 'median ms'], d.steps.map((s) => [s.step, fmt(s.medianMs)]), new Set([1])));
  }
  if (d.modules.length > 0) {
    out.push('', 'loading one module alone in a fresh process (require, median ms)');
    out.push(table(['module', 'reps', 'median ms'], d.modules.map((m) => [m.module, String(m.reps), fmt(m.medianMs)]), new Set([1, 2])));
  }
  return out;
}

/** The report as a plain-text table. */
export function formatReport(r: Report): string {
  const out: string[] = [];
  out.push(`safe-state benchmark${r.quick ? ' (--quick: smoke run, numbers are rough)' : ''}`);
  out.push(`${r.node}, ${r.platform}, ${r.cpus} x ${r.cpuModel}, load ${r.load.start.toFixed(2)} -> ${r.load.end.toFixed(2)}, scratch dir ${r.dir}, ${(r.durationMs / 1000).toFixed(1)} s`);
  out.push('per item = median over rounds; ratio and overhead = median of per-round (contender vs. baseline of the same round)');
  out.push('');
  if (r.measurements.length > 0) out.push(
    table(
      ['measurement', 'items x rounds', 'median', 'baseline', 'baseline median', 'ratio', 'overhead', 'target', 'result'],
      [
        ...r.measurements.map((m) => [
          m.label,
          `${m.items} x ${m.rounds}`,
          fmtUs(m.perItemUs) + PER_TEXT[m.per ?? 'item'],
          m.baseline.label,
          fmtUs(m.baseline.perItemUs),
          `${fmt(m.ratio)}x`,
          fmtUs(m.overheadUs),
          metricText(m),
          m.pass ? 'PASS' : '** MISS **',
        ]),
        ...(r.skipped ?? []).map((s) => [s.label, '-', '-', '-', '-', '-', '-', '-', `skipped: ${s.reason}`]),
        ...(r.failed ?? []).map((s) => [s.label, '-', '-', '-', '-', '-', '-', '-', `** FAILED: ${s.reason} **`]),
      ],
      new Set([2, 4, 5, 6]),
    ),
  );
  if (r.resumeLatency) out.push('', ...formatResumeLatency(r.resumeLatency));
  if (r.fixedCosts.length > 0) {
    out.push('');
    out.push('per-run fixed cost (whole job call: lock, load, first save, body, delete, unlock)');
    out.push(
      table(
        ['job', 'items', 'reps', 'median ms', 'min ms'],
        r.fixedCosts.map((f) => [f.label, String(f.items), String(f.reps), fmt(f.medianMs), fmt(f.minMs)]),
        new Set([1, 2, 3, 4]),
      ),
    );
  }
  out.push('');
  if (r.keyStorage) {
    out.push(formatKeyStorage(r.keyStorage, table));
    out.push('');
  }
  if (r.sharedWorkers) {
    out.push(formatSharedWorkers(r.sharedWorkers, table));
    out.push('');
  }
  for (const note of r.notes ?? []) out.push(`note: ${note}`);
  if (r.notes?.length) out.push('');
  const missed = [...r.measurements.filter((m) => !m.pass).map((m) => m.id), ...(r.sharedWorkers?.rows ?? []).filter((x) => !x.pass).map((x) => x.id), ...(r.failed ?? []).map((f) => f.id)];
  const skipped = r.skipped?.length ? ` (${r.skipped.length} row(s) skipped)` : '';
  out.push((missed.length === 0 ? 'all targets met' : `MISSED ${missed.length} target(s): ${missed.join(', ')}`) + skipped);
  return out.join('\n');
}
