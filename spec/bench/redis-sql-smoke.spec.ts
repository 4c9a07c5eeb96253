import { execFile } from 'node:child_process';
import * as path from 'node:path';

/**
 * Smoke test of the server rows of the benchmark (`npm run bench:servers`: bench/run.ts --only
 * servers): a `--quick --json` run without server URLs in its environment starts its own throwaway
 * servers, measures every server backend, stops the servers and reports finite positive numbers.
 * No timing assertions: the benchmark is a report.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

describe('server benchmark smoke run (bench/run.ts --only servers --quick --json)', () => {
  let code: number | null;
  let stderr = '';
  let report: any = null;

  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      const env = { ...process.env };
      for (const k of ['SAFE_STATE_BENCH_REDIS_URL', 'SAFE_STATE_BENCH_MYSQL_URL', 'SAFE_STATE_BENCH_POSTGRES_URL']) delete env[k];
      execFile(TSX, ['bench/run.ts', '--only', 'servers', '--quick', '--json', '--no-write'], { cwd: ROOT, env, timeout: 170_000, maxBuffer: 16 << 20 }, (error, out, err) => {
        code = error ? ((error as { code?: number }).code ?? null) : 0;
        stderr = err;
        try {
          report = JSON.parse(out);
        } catch {
          report = null;
        }
        resolve();
      });
    });
  }, 180_000);

  it('exits 0 with one JSON report and no skipped server', () => {
    expect({ code, json: report !== null, stderr: code === 0 && report ? '' : stderr }).toEqual({ code: 0, json: true, stderr: '' });
    expect(report.skipped).toEqual([]);
  });

  it('measures every server backend against its raw round trip, with finite positive numbers', () => {
    expect(report.measurements.map((m: { id: string }) => m.id)).toEqual(['redis-for-await', 'mysql-for-await', 'postgres-for-await', 'sqlite-for-await', 'sqlite-for-of']);
    for (const m of report.measurements) {
      for (const v of [m.perItemUs, m.baseline.perItemUs, m.ratio, ...m.samples.perItemUs, ...m.samples.baselineUs]) {
        expect({ id: m.id, finitePositive: Number.isFinite(v) && v > 0 }).toEqual({ id: m.id, finitePositive: true });
      }
      expect(m.target).toEqual({ metric: 'ratio', op: '<=', value: 1.3 });
    }
    expect(report.fixedCosts.map((f: { id: string }) => f.id).sort()).toEqual(['mysql-1', 'postgres-1', 'redis-1', 'sqlite-1']);
  });
});
