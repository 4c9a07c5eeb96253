/**
 * Idempotency at scale (docs/benchmarks.md, "Idempotency at scale"): `@Idempotent({ key })` calls
 * with one `IdempotencyCache` on Redis and PostgreSQL (MariaDB too), by 4 worker processes at once
 * against 1 process, over the same key set (the 4 processes split it), each effect an async pause
 * of `effectMs` (a remote call). Throughput is keys per second over the wall time of the slowest
 * worker (process start excluded: each worker times its own loop). With per-key claims the 4
 * processes run side by side (the target is ≥ 3.5× on Redis, ≥ 3× on PostgreSQL); with a
 * whole-store lease they took turns (about 1×).
 *
 * `npm run bench` runs it as its section `idempotency-scale` (rows `idempotency-scale-redis` and
 * `-postgres`: µs per key with 4 processes against 1 process, interleaved rounds). Alone:
 * `npx tsx bench/idempotency-scale.ts [--keys 2000] [--effect-ms 5] [--kinds redis,postgres,mysql]`
 * (servers from SAFE_STATE_BENCH_*_URL, else throwaway ones under a scratch directory).
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serversFor, type ServerKind } from './bench-servers';
import { interleave, measurement } from './measure';
import type { Measurement } from './report';
import type { FailedRow } from './failed-rows';
import { runStandalone } from './run-standalone';
import type { PerKeyWorkerConfig } from '../spec/fixtures/per-key-worker';

const WORKER = path.resolve(__dirname, '../spec/fixtures/per-key-worker.ts');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** Runs `parts.length` workers at once; answers the slowest worker's loop time (ms). */
async function runWorkers(base: Omit<PerKeyWorkerConfig, 'keys' | 'seed'>, parts: string[][]): Promise<number> {
  const times = await Promise.all(
    parts.map(
      (keys, i) =>
        new Promise<number>((resolve, reject) => {
          const proc = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify({ ...base, keys, seed: i + 1 })], { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
          proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
          proc.on('exit', (code) => {
            const m = /^done \d+ ([\d.]+)/m.exec(out);
            if (code === 0 && m) resolve(Number(m[1]));
            else reject(new Error(`worker exited ${code}: ${err}`));
          });
        }),
    ),
  );
  return Math.max(...times);
}

/** What the section runs. */
export interface IdempotencyScaleConfig {
  keys: number;
  /** the effect's async pause (a remote call), ms */
  effectMs: number;
  rounds: number;
}

/** The section's throughput targets: 4 processes against 1, as a ratio of µs per key (at most 1/3.5 on Redis, 1/3 on PostgreSQL). */
const TARGET: Partial<Record<ServerKind, number>> = { redis: 0.285, postgres: 0.333, mysql: 0.333 };

/**
 * µs per key of one worker process over all keys, and of 4 processes at once over a quarter each,
 * in interleaved rounds (fresh tables / prefixes each time), per server kind. A kind whose server
 * is missing becomes a failed row.
 */
export async function idempotencyScaleSection(root: string, cfg: IdempotencyScaleConfig, kinds: ServerKind[], failed: FailedRow[]): Promise<Measurement[]> {
  const servers = await serversFor(root);
  const out: Measurement[] = [];
  let run = 0;
  try {
    for (const kind of kinds) {
      const url = servers[kind].url;
      if (!url) {
        failed.push({ id: `idempotency-scale-${kind}`, label: `idempotency at scale on ${kind}`, reason: servers[kind].reason || 'no server' });
        continue;
      }
      const all = Array.from({ length: cfg.keys }, (_, i) => `key-${i}`);
      const quarters = [0, 1, 2, 3].map((q) => all.filter((_, i) => i % 4 === q));
      const base = { kind: kind as PerKeyWorkerConfig['kind'], url, ledger: '', effectMs: cfg.effectMs, leaseMs: 10_000 };
      const perKeyUs = async (parts: string[][]) => ((await runWorkers({ ...base, ns: `idem_scale_${process.pid}_${run++}` }, parts)) * 1000) / cfg.keys;
      const [one, four] = await interleave(
        `idempotency at scale on ${kind}, ${cfg.keys} keys, ${cfg.effectMs} ms effect`,
        [
          { name: '1 process', run: () => perKeyUs([all]) },
          { name: '4 processes', run: () => perKeyUs(quarters) },
        ],
        cfg.rounds,
      );
      out.push(
        measurement(
          `idempotency-scale-${kind}`,
          `@Idempotent({ key }) on ${kind}, 4 processes at once (µs per key, ${cfg.effectMs} ms effect)`,
          cfg.keys,
          'the same keys by 1 process',
          four,
          one,
          { metric: 'ratio', op: '<=', value: TARGET[kind] ?? 0.333 },
        ),
      );
    }
  } finally {
    servers.stop();
  }
  return out;
}

async function main(): Promise<void> {
  const keys = Number(arg('--keys', '2000'));
  const effectMs = Number(arg('--effect-ms', '5'));
  const kinds = arg('--kinds', 'redis,postgres').split(',') as ServerKind[];
  const root = path.join(os.tmpdir(), `safe-state-idem-scale-${process.pid}`);
  console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
  const failed: FailedRow[] = [];
  const rows = await idempotencyScaleSection(root, { keys, effectMs, rounds: 3 }, kinds, failed);
  for (const r of rows) {
    console.log(`${r.label}: ${r.perItemUs.toFixed(0)} µs/key against ${r.baseline.perItemUs.toFixed(0)} µs/key by 1 process: ${(1 / r.ratio).toFixed(2)}x the keys per second`);
  }
  for (const f of failed) console.log(`${f.id}: skipped (${f.reason})`);
  console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
}

if (require.main === module) runStandalone(main);
