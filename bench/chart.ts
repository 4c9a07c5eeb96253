/**
 * The benchmark's chart: per-item cost of each backend and durability beside the physical limit it
 * is bound by, as a hand-written SVG (horizontal bars on a logarithmic scale, no dependencies).
 */
import type { Measurement, Report, SkippedRow } from './report';

export type BarKind = 'limit' | 'engine' | 'peer';

export interface Bar {
  label: string;
  /** µs per item */
  us: number;
  kind: BarKind;
  /** shown after the value, e.g. the ratio to the limit */
  note?: string;
}

export interface BarGroup {
  title: string;
  bars: Bar[];
}

/**
 * Which measurements the chart shows, group by group: the limit is the named measurement's
 * baseline, the bars are the measurements themselves. A group whose measurements are absent from
 * the report is left out, so a backend is added to the chart with one entry here.
 */
export const CHART_GROUPS: { title: string; limitOf: string; limitLabel: string; bars: { id: string; label: string }[] }[] = [
  {
    title: "FileBackend, durability 'strict' (survives power loss), saveEvery 1",
    limitOf: 'file-strict-for-of',
    limitLabel: 'limit: write 30 B + fdatasync',
    bars: [
      { id: 'file-strict-for-of', label: 'safe-state, for..of' },
      { id: 'file-strict-for-await', label: 'safe-state, for await' },
    ],
  },
  {
    title: "FileBackend 'strict', concurrently with a 1 ms body: µs per durable item (group commit)",
    limitOf: 'group-commit-limit-1',
    limitLabel: 'limit: 1 ms timer + write 30 B + fdatasync, one item at a time',
    bars: [
      { id: 'group-commit-limit-1', label: 'safe-state, limit 1' },
      { id: 'group-commit-limit-8', label: 'safe-state, limit 8' },
      { id: 'group-commit-limit-32', label: 'safe-state, limit 32' },
    ],
  },
  {
    title: "FileBackend, durability 'process' (survives kill -9), saveEvery 1",
    limitOf: 'file-process-for-of',
    limitLabel: 'limit: write 30 B',
    bars: [
      { id: 'file-process-for-of', label: 'safe-state, for..of' },
      { id: 'file-process-for-await', label: 'safe-state, for await' },
    ],
  },
  {
    title: 'MemoryBackend, saveEvery 1000',
    limitOf: 'memory-overhead',
    limitLabel: 'limit: the undecorated loop',
    bars: [{ id: 'memory-overhead', label: 'safe-state, for..of' }],
  },
  {
    title: 'RedisBackend, saveEvery 1',
    limitOf: 'redis-for-await',
    limitLabel: 'limit: Redis SET 30 B (one round trip)',
    bars: [{ id: 'redis-for-await', label: 'safe-state, for await' }],
  },
  {
    title: 'SqlBackend on MariaDB (mysql2), saveEvery 1',
    limitOf: 'mysql-for-await',
    limitLabel: 'limit: one autocommit upsert',
    bars: [{ id: 'mysql-for-await', label: 'safe-state, for await' }],
  },
  {
    title: 'SqlBackend on PostgreSQL (pg), saveEvery 1',
    limitOf: 'postgres-for-await',
    limitLabel: 'limit: one autocommit upsert',
    bars: [{ id: 'postgres-for-await', label: 'safe-state, for await' }],
  },
  {
    title: 'SqlBackend on SQLite (better-sqlite3), saveEvery 1',
    limitOf: 'sqlite-for-await',
    limitLabel: 'limit: one autocommit upsert',
    bars: [
      { id: 'sqlite-for-of', label: 'safe-state, for..of' },
      { id: 'sqlite-for-await', label: 'safe-state, for await' },
    ],
  },
];

/** A reference measured on this machine earlier (not in each run): NOTES.md, docs/benchmarks.md. */
export const PEER_REFERENCE = {
  title: 'Peer reference (measured here once, not in this run)',
  label: 'DBOS Transact 5.3 (PostgreSQL), per step',
  us: 1_600,
  restartMs: 1_900,
};

/** The bar groups of a report (see {@link CHART_GROUPS}), plus a line per skipped server row and the peer reference. */
export function chartGroups(measurements: Measurement[], skipped: SkippedRow[] = []): BarGroup[] {
  const byId = new Map(measurements.map((m) => [m.id, m]));
  const groups: BarGroup[] = [];
  for (const g of CHART_GROUPS) {
    const limit = byId.get(g.limitOf);
    const bars = g.bars.flatMap((b) => {
      const m = byId.get(b.id);
      if (!m) return [];
      const note = g.limitOf === 'memory-overhead' ? `+${usText(m.overheadUs)} over the loop` : `ratio ${m.ratio.toFixed(2)}x`;
      return [{ label: b.label, us: m.perItemUs, kind: 'engine' as const, note }];
    });
    if (!limit || bars.length === 0) {
      const skip = skipped.find((s) => s.id === g.limitOf);
      if (skip) groups.push({ title: `${g.title}: skipped (${skip.reason})`, bars: [] });
      continue;
    }
    groups.push({ title: g.title, bars: [{ label: g.limitLabel, us: limit.baseline.perItemUs, kind: 'limit' }, ...bars] });
  }
  groups.push({ title: PEER_REFERENCE.title, bars: [{ label: PEER_REFERENCE.label, us: PEER_REFERENCE.us, kind: 'peer' }] });
  return groups;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function usText(us: number): string {
  if (us >= 1000) return `${(us / 1000).toFixed(us >= 10_000 ? 0 : 2)} ms`;
  if (us >= 100) return `${us.toFixed(0)} µs`;
  if (us >= 10) return `${us.toFixed(1)} µs`;
  if (us >= 1) return `${us.toFixed(2)} µs`;
  return `${(us * 1000).toFixed(us >= 0.1 ? 0 : 1)} ns`;
}

function tickText(us: number): string {
  if (us >= 1000) return `${us / 1000} ms`;
  if (us >= 1) return `${us} µs`;
  return `${Math.round(us * 1000)} ns`;
}

const COLORS: Record<BarKind, string> = { limit: '#9aa0a6', engine: '#1a73e8', peer: '#e8710a' };

/** The chart as an SVG document. */
export function renderChart(title: string, subtitle: string, groups: BarGroup[]): string {
  const values = groups.flatMap((g) => g.bars.map((b) => b.us)).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...values, 10)));
  const width = 980;
  const labelW = 330;
  const plotX = labelW + 10;
  const plotW = width - plotX - 190;
  const x = (us: number) => plotX + ((Math.log10(Math.max(us, 10 ** lo)) - lo) / (hi - lo)) * plotW;
  const barH = 16;
  const gap = 6;
  const out: string[] = [];
  let y = 70;
  const body: string[] = [];
  for (const g of groups) {
    body.push(`<text x="12" y="${y + 12}" class="group">${esc(g.title)}</text>`);
    y += 22;
    for (const b of g.bars) {
      const w = Math.max(1, x(b.us) - plotX);
      body.push(`<text x="${labelW}" y="${y + 12}" class="label" text-anchor="end">${esc(b.label)}</text>`);
      body.push(`<rect x="${plotX}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[b.kind]}"><title>${esc(`${b.label}: ${usText(b.us)} per item`)}</title></rect>`);
      const value = b.note ? `${usText(b.us)}  (${b.note})` : usText(b.us);
      body.push(`<text x="${(plotX + w + 5).toFixed(1)}" y="${y + 12}" class="value">${esc(value)}</text>`);
      y += barH + gap;
    }
    y += 10;
  }
  const axisY = y + 4;
  const height = axisY + 64;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`);
  out.push('<style>.title{font-size:17px;font-weight:600}.sub{font-size:11.5px;fill:#5f6368}.group{font-size:13px;font-weight:600}.label{font-size:12px}.value{font-size:11.5px;fill:#202124}.tick{font-size:11px;fill:#5f6368}.grid{stroke:#e0e0e0;stroke-width:1}</style>');
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="26" class="title">${esc(title)}</text>`);
  out.push(`<text x="12" y="46" class="sub">${esc(subtitle)}</text>`);
  for (let d = lo; d <= hi; d++) {
    const gx = x(10 ** d).toFixed(1);
    out.push(`<line x1="${gx}" y1="62" x2="${gx}" y2="${axisY}" class="grid"/>`);
    out.push(`<text x="${gx}" y="${axisY + 16}" class="tick" text-anchor="middle">${esc(tickText(10 ** d))}</text>`);
  }
  out.push(...body);
  out.push(`<text x="${plotX + plotW / 2}" y="${axisY + 34}" class="tick" text-anchor="middle">cost per item, median over rounds (log scale; shorter is better); ratio = median of per-round ratios to the limit</text>`);
  const legend: [BarKind, string][] = [
    ['limit', 'physical limit, measured in the same run'],
    ['engine', 'safe-state'],
    ['peer', 'peer reference'],
  ];
  let lx = 12;
  for (const [kind, text] of legend) {
    out.push(`<rect x="${lx}" y="${axisY + 46}" width="12" height="12" fill="${COLORS[kind]}"/>`);
    out.push(`<text x="${lx + 17}" y="${axisY + 56}" class="tick">${esc(text)}</text>`);
    lx += 28 + text.length * 6.2;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The chart of a report. */
export function reportChart(r: Report): string {
  const when = r.startedAt.slice(0, 10);
  const subtitle = `${when} · ${r.node} · ${r.platform} · ${r.cpus} x ${r.cpuModel} · load ${r.load.start.toFixed(1)} · medians of interleaved rounds${r.quick ? ' · --quick run (rough)' : ''}`;
  return renderChart('safe-state: cost per item beside the physical limit', subtitle, chartGroups(r.measurements, r.skipped));
}
