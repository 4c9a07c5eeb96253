import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers';
import { ENV } from '../setup/servers';

/**
 * Smoke test of the benchmark (bench/run.ts): a `--quick --json` run completes, reports every
 * measurement with finite positive numbers (the Redis and SQL rows on the test suite's servers,
 * handed over through the benchmark's environment variables), and writes its JSON report and its
 * SVG chart where it is told to. No timing assertions: the benchmark is a report, and whether
 * targets are met depends on the machine.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const OUT = tempDir('safe-state-bench-smoke-');
const RESULTS = path.join(OUT, 'results.json');
const SVG = path.join(OUT, 'bench.svg');

function runBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = {
      ...process.env,
      SAFE_STATE_BENCH_REDIS_URL: process.env[ENV.redis],
      SAFE_STATE_BENCH_MYSQL_URL: process.env[ENV.mysql],
      SAFE_STATE_BENCH_POSTGRES_URL: process.env[ENV.postgres],
    };
    execFile(TSX, ['bench/run.ts', '--quick', '--json', '--results', RESULTS, '--svg', SVG], { cwd: ROOT, env, timeout: 170_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;

const IDS = [
  'file-strict-for-of',
  'file-strict-for-await',
  'file-process-for-of',
  'file-process-for-await',
  'file-process-signed-for-of',
  'file-process-encrypted-for-of',
  'group-commit-limit-1',
  'group-commit-limit-8',
  'group-commit-limit-32',
  'memory-overhead',
  'memory-subscribed',
  'redis-for-await',
  'mysql-for-await',
  'postgres-for-await',
  'sqlite-for-await',
  'sqlite-for-of',
  'idempotency-mark-1m',
  'idempotency-seen-1m',
  'idempotency-open-1m',
  'idempotency-scale-redis',
  'idempotency-scale-postgres',
  'save-cost-strict-1m-vs-1k',
  'save-cost-process-1m-vs-1k',
  'resume-skip-999990-vs-10',
  'resume-latency-dist',
  'resume-latency-bundle',
];

describe('benchmark smoke run (bench/run.ts --quick --json)', () => {
  let result: { code: number | null; stdout: string; stderr: string };
  let report: any;

  beforeAll(async () => {
    result = await runBench();
    try {
      report = JSON.parse(result.stdout);
    } catch {
      report = null;
    }
  }, 180_000);

  afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

  it('exits 0 and prints one JSON report', () => {
    const ok = result.code === 0 && report !== null;
    expect({ code: result.code, json: report !== null, stderr: ok ? '' : result.stderr }).toEqual({ code: 0, json: true, stderr: '' });
    expect(report).toMatchObject({ version: 1, quick: true });
    expect(typeof report.allPass).toBe('boolean');
    expect(typeof report.cpuModel).toBe('string');
  });

  it('reports every measurement with finite positive numbers', () => {
    const ids = report.measurements.map((m: { id: string }) => m.id);
    expect(ids).toEqual(IDS);
    for (const m of report.measurements) {
      const numbers = { perItemUs: m.perItemUs, baselineUs: m.baseline.perItemUs, ratio: m.ratio, target: m.target.value, items: m.items, rounds: m.rounds };
      for (const [k, v] of Object.entries(numbers)) expect({ id: m.id, [k]: positive(v) }).toEqual({ id: m.id, [k]: true });
      for (const v of [...m.samples.perItemUs, ...m.samples.baselineUs]) expect(positive(v)).toBe(true);
      // the overhead (contender - baseline) is a difference: finite, its sign is the machine's business
      expect(Number.isFinite(m.overheadUs)).toBe(true);
      expect(Number.isFinite(m.value)).toBe(true);
      expect(typeof m.pass).toBe('boolean');
    }
  });

  it('reports every ratio by id, and what one sample of each row measures', () => {
    expect(Object.keys(report.ratios)).toEqual(IDS);
    for (const m of report.measurements) expect(report.ratios[m.id]).toBe(m.ratio);
    const per = Object.fromEntries(report.measurements.map((m: { id: string; per?: string }) => [m.id, m.per ?? 'item']));
    expect(per).toMatchObject({ 'save-cost-strict-1m-vs-1k': 'item', 'resume-skip-999990-vs-10': 'resume', 'resume-latency-dist': 'start', 'resume-latency-bundle': 'start' });
  });

  it('breaks the resume latency down: child clock, cold steps, module load times', () => {
    const d = report.resumeLatency;
    expect(d.variants.map((v: { id: string }) => v.id)).toEqual(['bare', 'dist', 'bundle', 'per-file']);
    for (const v of d.variants) {
      expect(positive(v.wallMs) && positive(v.scriptMs) && Number.isFinite(v.overBareMs)).toBe(true);
      if (v.id !== 'bare') expect(v.scriptMs <= v.loadedMs && v.loadedMs <= v.firstItemMs).toBe(true);
    }
    expect(d.modules.map((m: { module: string }) => m.module.split(' ')[0])).toEqual(['proper-lockfile', 'devalue', 'node:crypto', 'safe-state', 'safe-state,']);
    for (const m of d.modules) expect(positive(m.medianMs)).toBe(true);
    expect(d.steps.length).toBeGreaterThanOrEqual(5);
    for (const s of d.steps) expect(Number.isFinite(s.medianMs) && s.medianMs >= 0).toBe(true);
  });

  it('writes the JSON report and an SVG chart with a bar per backend row and its limit', () => {
    expect(JSON.parse(fs.readFileSync(RESULTS, 'utf8'))).toEqual(report);
    const svg = fs.readFileSync(SVG, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const text of ['limit: write 30 B + fdatasync', 'limit: write 30 B', 'limit: the undecorated loop', 'limit: Redis SET 30 B', 'limit: one autocommit upsert', 'DBOS Transact']) expect(svg).toContain(text);
    expect((svg.match(/<rect [^>]*fill="#1a73e8"><title>/g) ?? []).length).toBe(13); // the engine bars: five File/Memory, three group commit, five Redis/SQL
    expect(report.skipped).toEqual([]);
    expect(report.failed).toEqual([]);
  });

  it('reports the per-run fixed costs', () => {
    expect(report.fixedCosts.length).toBeGreaterThan(0);
    for (const f of report.fixedCosts) {
      expect(positive(f.medianMs) && positive(f.minMs) && f.reps > 0).toBe(true);
    }
  });

  it('reports the key option at scale: checkpoint size per key shape, keyed jobs, compaction', () => {
    const k = report.keyStorage;
    expect(k.shapes.map((s: { id: string }) => s.id)).toEqual(['int-sequential', 'int-gaps', 'int-random', 'str-short', 'str-uuid']);
    for (const s of k.shapes) {
      const numbers = { keys: s.keys, compactBytes: s.compactBytes, jsonBytes: s.jsonBytes, compactMBPerMillion: s.compactMBPerMillion, jsonMBPerMillion: s.jsonMBPerMillion };
      for (const [name, v] of Object.entries(numbers)) expect({ id: s.id, [name]: positive(v) }).toEqual({ id: s.id, [name]: true });
      expect(Number.isFinite(s.encodeMs) && Number.isFinite(s.decodeMs)).toBe(true);
      expect(s.compactBytes).toBeLessThanOrEqual(s.jsonBytes + 2);
    }
    // consecutive integer keys fold into one range
    const seq = k.shapes[0];
    expect(seq.compactBytes).toBeLessThan(50);
    expect(k.jobs.map((j: { id: string }) => j.id)).toEqual(['key-string', 'key-int']);
    for (const j of k.jobs) {
      for (const v of [j.items, j.rounds, j.perItemUs, j.baselinePerItemUs, j.bytesWrittenPerItem, j.checkpointBytes]) expect({ id: j.id, ok: positive(v) }).toEqual({ id: j.id, ok: true });
    }
    for (const v of [k.compaction.keys, k.compaction.bytes, k.compaction.strictMs, k.compaction.processMs, k.compaction.recordsBetween]) expect(positive(v)).toBe(true);
  });
});
