import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TS_NODE, tempDir } from '../helpers';
import { formatSummary, type SoakSummary } from '../../bench/soak-report';

/**
 * The crash soak (bench/soak.ts) in its short CI form: 20 SIGKILLs at random moments per backend,
 * on a smaller job than `npm run soak` (1,000 items instead of 10,000, to stay within CI's time on
 * a shared 2-core machine), then a run with a fault injected on purpose, which it must report.
 * The soak's parent runs in one node process (TS_NODE); its job children run under plain node.
 */
const ROOT = path.resolve(__dirname, '..', '..');
/** Parent of the soaks' scratch directories (a failing soak keeps its own for inspection). */
const SCRATCH = tempDir('safe-state-soak-spec-');

function soak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), 'bench/soak.ts', '--dir', SCRATCH, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function parse(stdout: string): SoakSummary | null {
  try {
    return JSON.parse(stdout) as SoakSummary;
  } catch {
    return null;
  }
}

describe('crash soak (bench/soak.ts --kills 20)', () => {
  let run: { code: number | null; stdout: string; stderr: string };
  let summary: SoakSummary | null;

  beforeAll(async () => {
    run = await soak(['--kills', '20', '--items', '1000', '--json']);
    summary = parse(run.stdout);
  }, 180_000);

  afterAll(() => fs.rmSync(SCRATCH, { recursive: true, force: true }));

  it('exits 0 with a passing JSON summary', () => {
    expect({ code: run.code, json: summary !== null, pass: summary?.pass, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, json: true, pass: true, stderr: '' });
    expect(summary!.violations).toBe(0);
    expect(summary!.killsPerBackend).toBe(20);
  });

  it('killed the job 20 times on each file backend and checked every kill', () => {
    const s = summary!;
    expect(s.backends.map((b) => b.id)).toEqual(['file-strict', 'file-process']);
    for (const b of s.backends) {
      const ctx = { backend: b.id, seed: s.seed };
      expect({ ...ctx, kills: b.kills, violations: b.violations, corrupt: b.corrupt, lockStalls: b.lockStalls }).toEqual({ ...ctx, kills: 20, violations: [], corrupt: 0, lockStalls: 0 });
      // every job ran to completion, every item has its effect, repeats only for items in flight
      expect(b.jobs).toBeGreaterThanOrEqual(1);
      expect(b.items).toBe(b.jobs * 1000);
      expect(b.effects).toBe(b.items + b.repeats);
      expect(b.repeats).toBeLessThanOrEqual(b.kills);
      expect(b.maxRepeatsPerKill).toBeLessThanOrEqual(1);
      // one landing per kill; a run per kill plus the completing run of each job (a kill that
      // landed after a job's end was that job's completing run too)
      expect(Object.values(b.landings).reduce((x, y) => x + y, 0)).toBe(b.kills);
      expect(b.killedAfterEnd).toBeLessThanOrEqual(b.jobs);
      expect(b.runs).toBeGreaterThanOrEqual(b.kills + b.jobs - b.killedAfterEnd);
    }
  });

  it('says what it did not soak, including the exactly-once transaction mode', () => {
    const skipped = summary!.skipped.map((x) => x.what).join('\n');
    expect(skipped).toMatch(/MemoryBackend/);
    expect(skipped).toMatch(/exactly-once transaction mode/);
  });

  it('prints the summary as a table ending in PASS', () => {
    const text = formatSummary(summary!);
    expect(text).toMatch(/^File 'strict' +20 /m);
    expect(text).toMatch(/^File 'process' +20 /m);
    expect(text.trimEnd().split('\n').pop()).toMatch(/^PASS: no item lost/);
  });

  it('reports a lost item and exits 1 (a fault injected on purpose)', async () => {
    const bad = await soak(['--kills', '2', '--items', '100', '--backends', 'file-process', '--fault', 'lose-item', '--json']);
    const s = parse(bad.stdout);
    expect({ code: bad.code, json: s !== null, pass: s?.pass }).toEqual({ code: 1, json: true, pass: false });
    const violations = s!.backends[0].violations.join('\n');
    expect(violations).toMatch(/items were never processed \(skipped\): 50/);
    expect(formatSummary(s!).trimEnd().split('\n').pop()).toMatch(/^FAIL: \d+ violation/);
  }, 120_000);
});
