import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TS_NODE, tempDir } from '../helpers';
import { formatSummary, type SoakSummary } from '../../bench/soak-report';

/**
 * The crash soak (bench/soak.ts) in its short CI form: 20 SIGKILLs at random moments per backend
 * (File 'strict' and 'process', Redis, SQLite, MariaDB, PostgreSQL, at-least-once) and per database
 * of the exactly-once transaction mode (SQLite, MariaDB, PostgreSQL), on smaller jobs than
 * `npm run soak` (1,000 items instead of 10,000; 200 instead of 1,000 for the exactly-once jobs,
 * whose every item is a committed transaction), to stay within CI's time on a shared 2-core
 * machine (the soak itself took 50–90 s here); then a run with a fault injected on purpose, which it must
 * report. The servers are the test suite's (jest's global setup sets SAFE_STATE_TEST_*_URL, which
 * the soak inherits). The soak's parent runs in one node process (TS_NODE); its job children run
 * under plain node.
 */
const ROOT = path.resolve(__dirname, '..', '..');
/** Parent of the soaks' scratch directories (a failing soak keeps its own for inspection). */
const SCRATCH = tempDir('safe-state-soak-spec-');
const KILLS = 20;
const ITEMS = 1000;
const EO_ITEMS = 200;
const AT_LEAST_ONCE = ['file-strict', 'file-process', 'redis', 'sqlite', 'mariadb', 'postgres'];
/** the backends that cannot save synchronously: soaked under `for await` and async generators only (SPEC §4) */
const ASYNC_ONLY = ['redis', 'mariadb', 'postgres'];

function soak(args: string[], killAfterMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), 'bench/soak.ts', '--dir', SCRATCH, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    // SIGTERM: the soak stops the servers it started (none here: it uses the test suite's)
    const timer = setTimeout(() => child.kill('SIGTERM'), killAfterMs);
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

describe(`crash soak (bench/soak.ts --kills ${KILLS})`, () => {
  let run: { code: number | null; stdout: string; stderr: string };
  let summary: SoakSummary | null;

  beforeAll(async () => {
    run = await soak(['--kills', String(KILLS), '--items', String(ITEMS), '--eo-items', String(EO_ITEMS), '--json'], 400_000);
    summary = parse(run.stdout);
  }, 420_000);

  afterAll(() => fs.rmSync(SCRATCH, { recursive: true, force: true }));

  it('exits 0 with a passing JSON summary', () => {
    expect({ code: run.code, json: summary !== null, pass: summary?.pass, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, json: true, pass: true, stderr: '' });
    expect(summary!.violations).toBe(0);
    expect(summary!.killsPerBackend).toBe(KILLS);
    expect(summary!.itemsPerJob).toBe(ITEMS);
    expect(summary!.exactlyOnceItemsPerJob).toBe(EO_ITEMS);
  });

  it('used the servers it was given (the test suite\'s), skipping no backend', () => {
    const s = summary!;
    expect(Object.keys(s.servers).sort()).toEqual(['MariaDB', 'PostgreSQL', 'Redis']);
    for (const where of Object.values(s.servers)) expect(where).toMatch(/^SAFE_STATE_(TEST|SOAK)_\w+_URL=/);
    expect(s.skipped.map((x) => x.what)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^(File|Redis|SQLite|MariaDB|PostgreSQL|exactly-once)/)]));
  });

  it(`killed the job ${KILLS} times on each backend, at-least-once, and checked every kill`, () => {
    const s = summary!;
    expect(s.backends.map((b) => b.id)).toEqual(AT_LEAST_ONCE);
    for (const b of s.backends) {
      const ctx = { backend: b.id, seed: s.seed };
      expect({ ...ctx, kills: b.kills, violations: b.violations, corrupt: b.corrupt, lockStalls: b.lockStalls }).toEqual({ ...ctx, kills: KILLS, violations: [], corrupt: 0, lockStalls: 0 });
      // every job ran to completion, every item has its effect, repeats only for items in flight
      expect(b.jobs).toBeGreaterThanOrEqual(1);
      expect(b.items).toBe(b.jobs * ITEMS);
      expect(b.effects).toBe(b.items + b.repeats);
      expect(b.repeats).toBeLessThanOrEqual(b.kills);
      expect(b.maxRepeatsPerKill).toBeLessThanOrEqual(1);
      // one landing and one aim per kill; a run per kill plus the completing run of each job (a
      // kill that landed after a job's end was that job's completing run too)
      expect(Object.values(b.landings).reduce((x, y) => x + y, 0)).toBe(b.kills);
      expect(Object.values(b.aims).reduce((x, y) => x + y, 0)).toBe(b.kills);
      expect(b.killedAfterEnd).toBeLessThanOrEqual(b.jobs);
      expect(b.runs).toBeGreaterThanOrEqual(b.kills + b.jobs - b.killedAfterEnd);
      // the loop forms: for..of only where saves can be synchronous (File, SQLite)
      expect({ ...ctx, loops: Object.keys(b.loops) }).toEqual({ ...ctx, loops: ASYNC_ONLY.includes(b.id) ? ['for-await', 'async-gen'] : ['for-of', 'for-await', 'async-gen', 'sync-gen'] });
      expect(Object.values(b.loops).reduce((x, y) => x + y, 0)).toBe(b.runs);
      // only FileBackend writes save phases; kills on the others aim at items instead
      expect({ ...ctx, savePhases: b.savePhases }).toEqual({ ...ctx, savePhases: b.id.startsWith('file-') });
      if (!b.savePhases) {
        expect({ ...ctx, save: b.landings.save, fsync: b.landings.fsync, saved: b.landings.saved, aimedAtSaves: b.aims.save + b.aims.any }).toEqual({ ...ctx, save: 0, fsync: 0, saved: 0, aimedAtSaves: 0 });
      }
    }
  });

  it(`killed the exactly-once job ${KILLS} times on each database: zero repeats, none missing`, () => {
    const s = summary!;
    expect(s.exactlyOnce.map((r) => r.id)).toEqual(['eo-sqlite', 'eo-mariadb', 'eo-postgres']);
    for (const r of s.exactlyOnce) {
      const ctx = { database: r.id, seed: s.seed };
      expect({ ...ctx, kills: r.kills, violations: r.violations, repeats: r.repeats, missing: r.missing }).toEqual({ ...ctx, kills: KILLS, violations: [], repeats: 0, missing: 0 });
      expect(r.jobs).toBeGreaterThanOrEqual(1);
      expect(r.items).toBe(r.jobs * EO_ITEMS);
      expect(r.effects).toBe(r.items + r.repeats);
      expect(Object.values(r.landings).reduce((x, y) => x + y, 0)).toBe(r.kills);
      // some kills came right at (or just after) an item's commit, where at-least-once would repeat it
      expect(r.landings.K + r.landings.Kd).toBeGreaterThan(0);
      expect(r.killedAfterEnd).toBeLessThanOrEqual(r.jobs);
      expect(r.runs).toBeGreaterThanOrEqual(r.kills + r.jobs - r.killedAfterEnd);
    }
  });

  it('says what it did not soak, and no stale reason', () => {
    const skipped = summary!.skipped.map((x) => `${x.what}: ${x.why}`).join('\n');
    expect(skipped).toMatch(/MemoryBackend/);
    expect(skipped).toMatch(/for\.\.of on Redis, MariaDB, PostgreSQL/);
    expect(skipped).not.toMatch(/not built yet|not on this branch/);
  });

  it('prints the summary as tables ending in PASS', () => {
    const text = formatSummary(summary!);
    for (const label of ["File 'strict'", "File 'process'", 'Redis', 'SQLite', 'MariaDB', 'PostgreSQL']) {
      expect(text).toMatch(new RegExp(`^${label} +${KILLS} `, 'm'));
    }
    const eo = text.slice(text.indexOf('exactly-once transaction mode'));
    for (const label of ['SQLite', 'MariaDB', 'PostgreSQL']) expect(eo).toMatch(new RegExp(`^${label} +${KILLS} `, 'm'));
    expect(text.trimEnd().split('\n').pop()).toMatch(/^PASS: no item lost.*zero repeats in the exactly-once mode/);
  });

  it('reports a lost item and exits 1 (a fault injected on purpose), on File and on Redis', async () => {
    const bad = await soak(['--kills', '2', '--items', '100', '--backends', 'file-process,redis', '--fault', 'lose-item', '--json'], 100_000);
    const s = parse(bad.stdout);
    expect({ code: bad.code, json: s !== null, pass: s?.pass }).toEqual({ code: 1, json: true, pass: false });
    expect(s!.backends.map((b) => b.id)).toEqual(['file-process', 'redis']);
    for (const b of s!.backends) expect(b.violations.join('\n')).toMatch(/items were never processed \(skipped\): 50/);
    expect(formatSummary(s!).trimEnd().split('\n').pop()).toMatch(/^FAIL: \d+ violation/);
  }, 120_000);
});
