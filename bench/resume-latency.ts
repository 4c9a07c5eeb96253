import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { safeState } from '../lib/index';
import { buildChild, REPO_ROOT } from './build';
import { interleave, measurement, progress } from './measure';
import { expectStop, Stop } from './resumed-job';
import { median, rotation } from './stats';
import type { ModuleCost, Measurement, ResumeLatencyDetail } from './report';
import type { ResumeChildConfig, ResumeChildReport } from './fixtures/resume-child';
import type { ResumeProbeConfig } from './fixtures/resume-probe';

export const CHILD_ENTRY = path.join(REPO_ROOT, 'bench', 'fixtures', 'resume-child.ts');
const PROBE_ENTRY = path.join(REPO_ROOT, 'bench', 'fixtures', 'resume-probe.ts');
export const JOB = { name: 'bench-resume-latency', items: 10_000, resumeAt: 5_000 } as const;
/** The bare start compared with: node itself, printing one line. */
export const BARE_SCRIPT = "process.stdout.write(JSON.stringify({ scriptMs: performance.now() }) + '\\n')";
/** Target: a resume in a fresh process costs at most this much (µs) over a bare node start. */
export const RESUME_LATENCY_TARGET_US = 30_000;

export interface Timed {
  /** spawn() to the first line on the child's stdout, ms (parent clock) */
  wallMs: number;
  /** the first line, parsed */
  report: Record<string, number | null | undefined>;
}

/**
 * Spawns `node ...args` and times spawn() to its first line on stdout (the parent's clock, so the
 * child's start-up is inside); resolves once the child exited 0.
 */
export function timeChild(args: string[], cwd: string): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
    delete env.SAFE_STATE_TEST_PHASE_FD;
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
    let t1 = 0;
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      if (t1 === 0 && s.includes('\n')) t1 = performance.now();
      out += s;
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || t1 === 0) {
        reject(new Error(`node ${args.slice(0, 2).join(' ')} ended with code ${code}, signal ${signal}: ${err.trim() || out.trim()}`));
        return;
      }
      resolve({ wallMs: t1 - t0, report: JSON.parse(out.split('\n', 1)[0]) as Timed['report'] });
    });
  });
}

/** ms to `require()` one module alone in a fresh node process (measured inside it). */
async function requireMs(module: string, cwd: string): Promise<number> {
  const script = `const t = performance.now(); require(${JSON.stringify(module)}); process.stdout.write(JSON.stringify({ loadedMs: performance.now() - t }) + '\\n');`;
  const t = await timeChild(['-e', script], cwd);
  return t.report.loadedMs as number;
}

/**
 * Resume latency: from spawning a process to the first resumed item of a job, under plain node
 * (no tsx), against a bare `node -e` start measured in the same rounds. Two ways of loading
 * safe-state, each with its target: the built package as installed (`dist/index.js`, a bundle whose
 * rarely used half loads at first use: bench/build.ts builds it with scripts/build.ts, as
 * `npm run build` does), and the library bundled into the application. For comparison, without a
 * target: the previous package layout (one module per source file). Also the child's own clock at three points (where the time goes), the
 * steps before the first item done cold one by one, and what loading each dependency alone costs
 * in a fresh process. The job: 10,000 items resumed at item 5,000, the default FileBackend in a
 * `stateDir`, durability 'strict'.
 */
export async function resumeLatencySection(root: string, rounds: number, moduleReps: number): Promise<{ measurements: Measurement[]; detail: ResumeLatencyDetail }> {
  progress('resume latency: building the package and the child (esbuild)');
  const build = await buildChild(path.join(root, 'build'), CHILD_ENTRY, PROBE_ENTRY);
  const stateDir = path.join(root, 'state');
  const prepare = safeState(
    async (xs: number[]) => {
      for (const x of xs) if (x === JOB.resumeAt) throw new Stop();
    },
    { name: JOB.name, stateDir, saveEvery: 2 ** 30, durability: 'process' },
  );
  await expectStop(prepare(Array.from({ length: JOB.items }, (_, i) => i)));
  const cfg: ResumeChildConfig = { stateDir, name: JOB.name, items: JOB.items, resumeAt: JOB.resumeAt };
  const cwd = path.dirname(build.dist);
  const variants = [
    { id: 'bare', label: 'bare node -e', args: ['-e', BARE_SCRIPT] },
    { id: 'dist', label: 'node + dist/ (the built package)', args: [build.dist, JSON.stringify(cfg)] },
    { id: 'bundle', label: 'node + safe-state bundled into the app', args: [build.bundle, JSON.stringify(cfg)] },
    { id: 'per-file', label: 'node + one module per source file (previous layout)', args: [build.perFile, JSON.stringify(cfg)] },
  ];
  const reports = variants.map(() => [] as Timed['report'][]);
  const samples = await interleave(
    `resume latency (${variants.map((v) => v.id).join(', ')})`,
    variants.map((v, i) => ({
      name: v.id,
      run: async () => {
        const t = await timeChild(v.args, cwd);
        reports[i].push(t.report);
        return t.wallMs * 1000;
      },
    })),
    rounds,
  );
  const [bare, dist, bundle] = samples;
  const target = { metric: 'overheadUs', op: '<=', value: RESUME_LATENCY_TARGET_US } as const;
  const measurements = [
    measurement('resume-latency-dist', 'Resume in a new process (node + dist/)', JOB.items, 'bare node -e start', dist, bare, target, 'start'),
    measurement('resume-latency-bundle', 'Resume in a new process (app bundle)', JOB.items, 'bare node -e start', bundle, bare, target, 'start'),
  ];

  const modules = [
    { module: 'proper-lockfile', id: 'proper-lockfile (+ graceful-fs, signal-exit, retry): what the first lock loaded before lock-dir.ts (no longer loaded)' },
    { module: 'devalue', id: 'devalue alone (ESM, through require(esm)); dist/devalue.js, a CommonJS build of it, loads at first use' },
    { module: 'node:crypto', id: 'node:crypto' },
    { module: build.distIndex, id: 'safe-state dist/index.js (the bundle; devalue, proper-lockfile and index-lazy.js not loaded)' },
    { module: build.perFileIndex, id: 'safe-state, one module per source file (previous layout)' },
  ];
  const moduleMs = modules.map(() => [] as number[]);
  const probes: Timed['report'][] = [];
  const probeCfg: ResumeProbeConfig = { stateDir, name: JOB.name };
  for (let r = 0; r < moduleReps; r++) {
    progress(`resume latency: module load times and cold steps, round ${r + 1}/${moduleReps}`);
    for (const i of rotation(modules.length + 1, r)) {
      if (i === modules.length) probes.push((await timeChild([build.probe, JSON.stringify(probeCfg)], cwd)).report);
      else moduleMs[i].push(await requireMs(modules[i].module, cwd));
    }
  }
  const stamp = (i: number, k: keyof ResumeChildReport & keyof Timed['report']) => {
    const v = reports[i].map((r) => r[k]).filter((x): x is number => typeof x === 'number');
    return v.length > 0 ? median(v) : null;
  };
  const detail: ResumeLatencyDetail = {
    items: JOB.items,
    resumeAt: JOB.resumeAt,
    variants: variants.map((v, i) => ({
      id: v.id,
      label: v.label,
      wallMs: median(samples[i]) / 1000,
      overBareMs: median(samples[i].map((s, r) => s - bare[r])) / 1000,
      scriptMs: stamp(i, 'scriptMs') ?? NaN,
      loadedMs: v.id === 'bare' ? null : stamp(i, 'loadedMs'),
      firstItemMs: v.id === 'bare' ? null : stamp(i, 'firstItemMs'),
    })),
    modules: modules.map((m, i): ModuleCost => ({ module: m.id, reps: moduleMs[i].length, medianMs: median(moduleMs[i]), samplesMs: moduleMs[i] })),
    steps: Object.keys(probes[0] ?? {}).map((step) => ({ step, medianMs: median(probes.map((p) => Number(p[step]))) })),
  };
  return { measurements, detail };
}
