import { execFile } from 'node:child_process';
import * as path from 'node:path';

/**
 * Smoke test of the benchmark (bench/run.ts): a `--quick --json` run completes and reports every
 * measurement with finite positive numbers. No timing assertions: the benchmark is a report, and
 * whether targets are met depends on the machine.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function runBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ['bench/run.ts', '--quick', '--json'], { cwd: ROOT, timeout: 110_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;

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
  }, 120_000);

  it('exits 0 and prints one JSON report', () => {
    const ok = result.code === 0 && report !== null;
    expect({ code: result.code, json: report !== null, stderr: ok ? '' : result.stderr }).toEqual({ code: 0, json: true, stderr: '' });
    expect(report).toMatchObject({ version: 1, quick: true });
    expect(typeof report.allPass).toBe('boolean');
  });

  it('reports every measurement with finite positive numbers', () => {
    const ids = report.measurements.map((m: { id: string }) => m.id);
    expect(ids).toEqual([
      'file-strict-for-of', 'file-strict-for-await', 'file-process-for-of', 'file-process-for-await', 'file-process-signed-for-of',
      'file-process-encrypted-for-of', 'memory-overhead', 'idempotency-mark-1m', 'idempotency-seen-1m', 'idempotency-open-1m',
    ]);
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
