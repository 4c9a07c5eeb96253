/**
 * What the blocking save of a plain `for..of` costs against `for await` on the same backend
 * (issue 13, item 2). On Redis and the network SQL databases a `for..of` step waits for item k's
 * save through a worker thread with its own connection (`Atomics.wait`), where `for await` awaits
 * the save on the main thread's connection. Both store item k before item k+1 starts.
 *
 * Per backend, interleaved rounds of one `for await` job and one `for..of` job over the same items
 * (saveEvery 1, a trivial body). Reported per item: the median of the steady-state step times
 * (items 5 and later, so the worker's start is left out) and their ratio; and, apart, the wait of
 * the `for..of` job's first save, which includes starting the worker (a per-run cost).
 *
 * Usage: `tsx bench/blocking-save.ts [items] [rounds]` (servers from SAFE_STATE_BENCH_*_URL, else
 * throwaway ones). Prints `uptime` first: figures from a loaded machine are ratios, not absolutes.
 *
 * One run (2026-12-06, `load average: 0.29, 0.42, 3.62`, 300 items, 5 rounds; sources under tsx, so
 * the worker's start includes transpiling it):
 *
 * | backend | for await µs/item | for..of (blocking) µs/item | ratio | first save ms, for await | first save ms, for..of |
 * | --- | ---: | ---: | ---: | ---: | ---: |
 * | Redis (fromUrl) | 136 | 186 | 1.40 | 0.2 | 229 |
 * | MariaDB (mysql2 pool) | 516 | 612 | 1.19 | 0.7 | 236 |
 * | PostgreSQL (pg pool) | 407 | 591 | 1.45 | 0.6 | 219 |
 * | PostgreSQL (knex pg) | 326 | 749 | 2.25 | 0.6 | 321 |
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { safeState, RedisBackend, SqlBackend, type StateBackend } from '../lib/index';
import { serversFor } from './bench-servers';
import { median, rotation } from './stats';
import { runStandalone } from './run-standalone';

interface Steps {
  /** ms between handing out item 0 and item 1 (item 0's save; for..of: also the worker's start) */
  firstMs: number;
  /** µs per step from item 5 on */
  steadyUs: number[];
}

/** A job of each loop form on `backend`, recording when each item was handed out. */
function jobs(backend: StateBackend, id: string): Record<'forAwait' | 'forOf', (items: number[]) => Promise<Steps>> {
  const steps = (t: number[]): Steps => ({ firstMs: t[1] - t[0], steadyUs: t.slice(6).map((v, i) => (v - t[i + 5]) * 1000) });
  const forAwait = safeState(
    async (xs: number[]) => {
      const t: number[] = [];
      for await (const x of xs) t.push(performance.now() + x * 0);
      return steps(t);
    },
    { name: `bench-blocking-${id}-await`, backend, saveEvery: 1 },
  );
  const forOf = safeState(
    async (xs: number[]) => {
      const t: number[] = [];
      for (const x of xs) t.push(performance.now() + x * 0);
      return steps(t);
    },
    { name: `bench-blocking-${id}-of`, backend, saveEvery: 1 },
  );
  return { forAwait: (xs) => forAwait(xs), forOf: (xs) => forOf(xs) };
}

async function main(): Promise<void> {
  const items = Array.from({ length: Number(process.argv[2] ?? 300) }, (_, i) => i);
  const rounds = Number(process.argv[3] ?? 5);
  process.stdout.write(`uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}\n`);
  process.stdout.write(`${items.length} items, ${rounds} interleaved rounds, saveEvery 1, medians\n\n`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-bench-blocking-'));
  const servers = await serversFor(root);
  const { knex } = require('knex') as typeof import('knex');
  const opened: { label: string; backend: StateBackend; close(): Promise<unknown> }[] = [];
  try {
    if (servers.redis.url) {
      const b = RedisBackend.fromUrl(servers.redis.url, { prefix: 'bench-blocking:' });
      opened.push({ label: 'Redis (fromUrl)', backend: b, close: () => b.close() });
    }
    if (servers.mysql.url) {
      const b = SqlBackend.fromUrl(servers.mysql.url);
      opened.push({ label: 'MariaDB (mysql2 pool)', backend: b, close: () => b.close() });
    }
    if (servers.postgres.url) {
      const b = SqlBackend.fromUrl(servers.postgres.url);
      opened.push({ label: 'PostgreSQL (pg pool)', backend: b, close: () => b.close() });
      const k = knex({ client: 'pg', connection: servers.postgres.url, pool: { min: 0, max: 2 } });
      const kb = new SqlBackend(k);
      opened.push({ label: 'PostgreSQL (knex pg)', backend: kb, close: async () => (await kb.close(), await k.destroy()) });
    }
    const rows: string[] = [];
    for (const [n, o] of opened.entries()) {
      const j = jobs(o.backend, String(n));
      await j.forAwait(items); // warm-up
      await j.forOf(items);
      const awaitUs: number[] = [];
      const ofUs: number[] = [];
      const ratios: number[] = [];
      const firstOf: number[] = [];
      const firstAwait: number[] = [];
      for (let r = 0; r < rounds; r++) {
        let a: Steps | null = null;
        let b: Steps | null = null;
        for (const i of rotation(2, r)) {
          if (i === 0) a = await j.forAwait(items);
          else b = await j.forOf(items);
        }
        awaitUs.push(median(a!.steadyUs));
        ofUs.push(median(b!.steadyUs));
        ratios.push(median(b!.steadyUs) / median(a!.steadyUs));
        firstAwait.push(a!.firstMs);
        firstOf.push(b!.firstMs);
        process.stderr.write(`[bench] ${o.label}: round ${r + 1}/${rounds}\n`);
      }
      rows.push(
        `| ${o.label} | ${median(awaitUs).toFixed(0)} | ${median(ofUs).toFixed(0)} | ${median(ratios).toFixed(2)} | ${median(firstAwait).toFixed(1)} | ${median(firstOf).toFixed(1)} |`,
      );
    }
    process.stdout.write('| backend | for await µs/item | for..of (blocking) µs/item | ratio for..of / for await | first save ms, for await | first save ms, for..of (incl. worker start) |\n');
    process.stdout.write('| --- | ---: | ---: | ---: | ---: | ---: |\n');
    process.stdout.write(rows.join('\n') + '\n');
  } finally {
    for (const o of opened) await o.close().catch(() => undefined);
    servers.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

runStandalone(main);
