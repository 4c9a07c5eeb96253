/**
 * Idempotency at scale (docs/benchmarks.md, "Idempotency at scale"): `@Idempotent({ key })` calls
 * with one `IdempotencyCache` on Redis and PostgreSQL (MariaDB too), by 4 worker processes at once
 * against 1 process, over the same key set (the 4 processes split it), each effect an async pause
 * of `effectMs` (a remote call). Throughput is keys per second over the wall time of the slowest
 * worker (process start excluded: each worker times its own loop). With per-key claims the 4
 * processes run side by side (the target is ≥ 3.5× on Redis, ≥ 3× on PostgreSQL); with a
 * whole-store lease they took turns (about 1×).
 *
 * Run: `npx tsx bench/idempotency-scale.ts [--keys 2000] [--effect-ms 5] [--kinds redis,postgres,mysql]`
 * (servers from SAFE_STATE_BENCH_*_URL, else throwaway ones under a scratch directory).
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serversFor, type ServerKind } from './bench-servers';
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

async function main(): Promise<void> {
  const keys = Number(arg('--keys', '2000'));
  const effectMs = Number(arg('--effect-ms', '5'));
  const kinds = arg('--kinds', 'redis,postgres').split(',') as ServerKind[];
  const root = path.join(os.tmpdir(), `safe-state-idem-scale-${process.pid}`);
  const servers = await serversFor(root);
  try {
    console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
    console.log(`keys ${keys}, effect ${effectMs} ms; keys/s with 1 process, with 4 (each a quarter of the same keys), ratio`);
    for (const kind of kinds) {
      const url = servers[kind].url;
      if (!url) {
        console.log(`${kind}: skipped (${servers[kind].reason})`);
        continue;
      }
      const all = Array.from({ length: keys }, (_, i) => `key-${i}`);
      const base = { kind: kind as PerKeyWorkerConfig['kind'], url, ledger: '', effectMs, leaseMs: 10_000 };
      const one = await runWorkers({ ...base, ns: `idem_scale_1_${process.pid}` }, [all]);
      const quarters = [0, 1, 2, 3].map((q) => all.filter((_, i) => i % 4 === q));
      const four = await runWorkers({ ...base, ns: `idem_scale_4_${process.pid}` }, quarters);
      const r1 = (keys / one) * 1000;
      const r4 = (keys / four) * 1000;
      console.log(`${kind}: 1 process ${r1.toFixed(0)} keys/s, 4 processes ${r4.toFixed(0)} keys/s, ratio ${(r4 / r1).toFixed(2)}x`);
    }
    console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
  } finally {
    servers.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
