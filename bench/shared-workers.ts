/**
 * Section `shared` of the benchmark (bench/run.ts, with the servers of bench/server-sections.ts): throughput of 4 shared workers against
 * one worker on a latency-bound body (a 5 ms sleep per item), as separate processes
 * (spec/fixtures/shared-worker-child.ts) over the same server. Each process connects first and
 * reports ready; the clock starts when every one of them is told to go and stops when the last
 * one has exited (the job complete). Rounds alternate 1 and 4 workers; the speedup is the median
 * over rounds of (time of 1 worker / time of 4 workers). Target: at least 3.5x.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { childCommand, REPO_ROOT } from '../spec/crash/crash-harness';
import type { SharedWorkerConfig } from '../spec/fixtures/shared-worker-child';
import { progress } from './measure';
import { median } from './stats';

const CHILD = path.join(REPO_ROOT, 'spec/fixtures/shared-worker-child.ts');

/** Sizes of the section. */
export interface SharedWorkersConfig {
  items: number;
  chunkSize: number;
  rounds: number;
}

/** Full and quick (smoke) sizes. */
export const SHARED_FULL: SharedWorkersConfig = { items: 2_000, chunkSize: 25, rounds: 3 };
export const SHARED_QUICK: SharedWorkersConfig = { items: 160, chunkSize: 10, rounds: 1 };

/** The speedup target (4 workers vs. 1). */
export const SHARED_TARGET = 3.5;
const SLEEP_MS = 5;

/** One backend's result. */
export interface SharedWorkersRow {
  id: string;
  label: string;
  items: number;
  chunkSize: number;
  rounds: number;
  /** median ms of the whole job with 1 worker */
  oneWorkerMs: number;
  /** median ms of the whole job with 4 workers */
  fourWorkersMs: number;
  /** median over rounds of (1-worker time / 4-worker time) */
  speedup: number;
  target: number;
  pass: boolean;
  samples: { oneWorkerMs: number[]; fourWorkersMs: number[] };
}

/** The section in a report. */
export interface SharedWorkersReport {
  sleepMs: number;
  rows: SharedWorkersRow[];
}

let serial = 0;

/** Runs one job to its end with `n` worker processes; ms from "go" to the last exit. */
async function runJob(n: number, base: Omit<SharedWorkerConfig, 'ledger' | 'name'>, dir: string): Promise<number> {
  const name = `bench shared ${process.pid} ${serial++}`;
  const cmd = childCommand(CHILD);
  const procs = Array.from({ length: n }, (_, i) => {
    const cfg: SharedWorkerConfig = { ...base, name, ledger: path.join(dir, `${serial}-${i}.log`), go: true };
    const p = spawn(process.execPath, [...cmd, JSON.stringify(cfg)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
    });
    let err = '';
    let out = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      p.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      p.once('exit', (code) => reject(new Error(`worker exited ${code} before it was ready: ${err}`)));
    });
    const exited = new Promise<void>((resolve, reject) => p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}: ${err}`)))));
    return { p, ready, exited, times: () => /times (.*)/.exec(out)?.[1] ?? '?' };
  });
  await Promise.all(procs.map((x) => x.ready));
  const t0 = performance.now();
  for (const x of procs) x.p.stdin!.write('go\n');
  await Promise.all(procs.map((x) => x.exited));
  const ms = performance.now() - t0;
  if (process.env.SHARED_BENCH_TIMES) progress(`${n} worker(s): ${ms.toFixed(0)} ms; per worker (ms after go): ${procs.map((x) => x.times()).join(' ')}`);
  return ms;
}

/** Measures one backend (`kind` at `url`). */
export async function measureSharedWorkers(kind: 'redis' | 'mysql', label: string, url: string, cfg: SharedWorkersConfig, dir: string): Promise<SharedWorkersRow> {
  fs.mkdirSync(dir, { recursive: true });
  const base = { kind, url, ns: `bench_shared_${process.pid}`, total: cfg.items, chunkSize: cfg.chunkSize, leaseMs: 30_000, sleepMs: SLEEP_MS };
  const one: number[] = [];
  const four: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < cfg.rounds; r++) {
    progress(`shared workers on ${label}: round ${r + 1}/${cfg.rounds} (${cfg.items} items, 1 then 4 workers)`);
    const a = r % 2 === 0 ? await runJob(1, base, dir) : NaN;
    const b = await runJob(4, base, dir);
    const c = r % 2 === 1 ? await runJob(1, base, dir) : a;
    one.push(c);
    four.push(b);
    ratios.push(c / b);
  }
  const speedup = median(ratios);
  return {
    id: `${kind}-shared-4`,
    label: `${label}: 4 shared workers vs 1 (${SLEEP_MS} ms per item)`,
    items: cfg.items,
    chunkSize: cfg.chunkSize,
    rounds: cfg.rounds,
    oneWorkerMs: median(one),
    fourWorkersMs: median(four),
    speedup,
    target: SHARED_TARGET,
    pass: speedup >= SHARED_TARGET,
    samples: { oneWorkerMs: one, fourWorkersMs: four },
  };
}

/** The section as text lines, for the report's table output. */
export function formatSharedWorkers(r: SharedWorkersReport, table: (header: string[], rows: string[][], right: Set<number>) => string): string {
  const lines = [`shared workers: whole job, separate processes, ${r.sleepMs} ms sleep per item (median ms over rounds)`];
  lines.push(
    table(
      ['measurement', 'items x rounds', 'chunk', '1 worker ms', '4 workers ms', 'speedup', 'target', 'result'],
      r.rows.map((x) => [
        x.label, `${x.items} x ${x.rounds}`, String(x.chunkSize), x.oneWorkerMs.toFixed(0), x.fourWorkersMs.toFixed(0),
        `${x.speedup.toFixed(2)}x`, `>= ${x.target}x`, x.pass ? 'PASS' : '** MISS **',
      ]),
      new Set([2, 3, 4, 5]),
    ),
  );
  return lines.join('\n');
}

/** Default sleep per item, for the report. */
export const SHARED_SLEEP_MS = SLEEP_MS;
