/**
 * Group commit against the path before it, in the same rounds: `tsx bench/group-commit-ab.ts
 * [--items N] [--rounds R]`. Runs `concurrently(items, limit, 1 ms body)` on a FileBackend job
 * (durability 'strict', saveEvery 1) at limit 1, 8 and 32, once with group commit (the saves of
 * `concurrently` append with an fdatasync off the main thread, shared by the completions that
 * arrive while it is in flight) and once the way saves went before it (`ProgressWriter.flush`: a
 * synchronous append + fdatasync, the event loop blocked meanwhile), alternating the order each
 * round. Prints the median durable items per second of each, with every round's value.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { concurrently, FileBackend, SafeState } from '../lib/index';
import { ProgressWriter } from '../lib/engine/progress-writer';
import { median } from './stats';
import { GROUP_COMMIT_LIMITS } from './group-commit';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function itemsPerSecond(dir: string, name: string, limit: number, n: number): Promise<number> {
  const backend = new FileBackend({ dir });
  class Job {
    @SafeState({ name, backend, durability: 'strict' })
    async run(items: number[]): Promise<void> {
      await concurrently(items, limit, () => sleep(1));
    }
  }
  const t0 = performance.now();
  await new Job().run(Array.from({ length: n }, (_, i) => i));
  const ips = (n * 1000) / (performance.now() - t0);
  await backend.close();
  return ips;
}

async function main(): Promise<void> {
  const items = arg('--items', 400);
  const rounds = arg('--rounds', 11);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-group-commit-'));
  const grouped = Object.getOwnPropertyDescriptor(ProgressWriter.prototype, 'flushGrouped')!;
  const before = { ...grouped, value: ProgressWriter.prototype.flush };
  const samples = new Map<string, number[]>();
  const load = os.loadavg()[0];
  try {
    for (let r = 0; r < rounds; r++) {
      process.stderr.write(`[bench] group commit against the path before it: round ${r + 1}/${rounds}\n`);
      for (const limit of GROUP_COMMIT_LIMITS) {
        for (const mode of r % 2 === 0 ? ['group commit', 'before'] : ['before', 'group commit']) {
          Object.defineProperty(ProgressWriter.prototype, 'flushGrouped', mode === 'before' ? before : grouped);
          const n = limit === 1 ? Math.ceil(items / 4) : items; // limit 1 is slow: fewer items, same rounds
          const key = `${mode}, limit ${limit}`;
          samples.set(key, [...(samples.get(key) ?? []), await itemsPerSecond(dir, `ab-${limit}-${mode.replace(' ', '-')}`, limit, n)]);
        }
      }
    }
  } finally {
    Object.defineProperty(ProgressWriter.prototype, 'flushGrouped', grouped);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`durable items per second, concurrently + 1 ms body, File 'strict' (medians of ${rounds} rounds; load ${load.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)})\n`);
  for (const [key, v] of samples) process.stdout.write(`${key.padEnd(24)} ${median(v).toFixed(0).padStart(7)}   ${v.map((x) => x.toFixed(0)).join(' ')}\n`);
}

void main();
