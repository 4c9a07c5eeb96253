/**
 * Section `group-commit` of the benchmark (bench/run.ts): durable items per second of
 * `concurrently(items, limit, fn)` on a FileBackend with durability 'strict' (saveEvery 1), a body
 * that awaits a 1 ms timer, at limit 1, 8 and 32, against a small append + fdatasync (the floor of
 * one durable save) in the same rounds. Completions that arrive while an fdatasync is in flight
 * share the next one (group commit), so with limit 8 the job should run at least 4x the items per
 * second of limit 1 (the single-item floor: one body plus one fdatasync per item). A sample is µs
 * per item; items per second is 1e6 / µs. Limit 1 against its floor without safe-state (the same
 * 1 ms timer, then a 30-byte append and its fdatasync, item after item): ratio <= 1.3.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { concurrently, FileBackend, SafeState } from '../lib/index';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { interleave, measurement, range } from './measure';
import type { Measurement } from './report';

/** The `concurrently` limits measured. */
export const GROUP_COMMIT_LIMITS = [1, 8, 32] as const;

/** A job running `concurrently(items, limit, 1 ms body)` on a strict FileBackend in `dir`; µs per item. */
function concurrentJob(dir: string, limit: number): { run(items: number[]): Promise<number>; close(): Promise<void> } {
  const backend = new FileBackend({ dir });
  class GroupCommitJob {
    @SafeState({ name: `bench-group-commit-${limit}`, backend, durability: 'strict' })
    async run(items: number[]): Promise<number> {
      let n = 0;
      const t0 = performance.now();
      await concurrently(items, limit, async () => {
        await sleep(1);
        n++;
      });
      const us = ((performance.now() - t0) * 1000) / items.length;
      if (n !== items.length) throw new Error(`the group-commit job ran ${n} of ${items.length} items`);
      return us;
    }
  }
  const job = new GroupCommitJob();
  return { run: (items) => job.run(items), close: () => backend.close() };
}

/**
 * µs per item of the floor of limit 1, without safe-state: the same 1 ms body, then a 30-byte
 * append and its fdatasync, item after item.
 */
async function sleepWriteFdatasyncUs(dir: string, count: number): Promise<number> {
  const file = path.join(dir, `baseline-${process.pid}.log`);
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      await sleep(1);
      fs.writeSync(fd, 'x'.repeat(29) + '\n');
      fs.fdatasyncSync(fd);
    }
    return ((performance.now() - t0) * 1000) / count;
  } finally {
    fs.closeSync(fd);
    fs.unlinkSync(file);
  }
}

/** The group-commit rows: limit 8 and 32 against limit 1 (target: limit 8 at least 4x the items per second), and limit 1 against fdatasync. */
export async function groupCommitSection(dir: string, items: number, rounds: number): Promise<Measurement[]> {
  const jobs = GROUP_COMMIT_LIMITS.map((limit) => concurrentJob(dir, limit));
  const input = range(items);
  const [fsync, one, eight, many] = await interleave(
    `group commit, File 'strict', concurrently, 1 ms body, ${items} items`,
    [
      { name: '1 ms + write+fdatasync', run: () => sleepWriteFdatasyncUs(dir, Math.min(items, 200)) },
      ...jobs.map((j, i) => ({ name: `limit ${GROUP_COMMIT_LIMITS[i]}`, run: () => j.run(input) })),
    ],
    rounds,
  );
  await Promise.all(jobs.map((j) => j.close()));
  const floor = 'concurrently limit 1 (single-item floor)';
  return [
    measurement('group-commit-limit-1', "File 'strict' concurrently limit 1, 1 ms body (µs per durable item)", items, '1 ms timer, write 30 B + fdatasync', one, fsync, { metric: 'ratio', op: '<=', value: 1.3 }),
    measurement('group-commit-limit-8', "File 'strict' concurrently limit 8, 1 ms body (µs per durable item)", items, floor, eight, one, { metric: 'ratio', op: '<=', value: 0.25 }),
    measurement('group-commit-limit-32', "File 'strict' concurrently limit 32, 1 ms body (µs per durable item)", items, floor, many, one, { metric: 'ratio', op: '<=', value: 0.25 }),
  ];
}
