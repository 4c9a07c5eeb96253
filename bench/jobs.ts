import { SafeState, FileBackend, MemoryBackend, type Durability } from '../lib/index';
import type { LoopTiming } from './loop-timing';
import { backendJobs } from './backend-jobs';

/**
 * The benchmarked jobs, written the way a user writes them (`@SafeState` on an async method) with
 * a trivial body: summing numbers. Each body reports its loop window (see loop-timing.ts).
 */

/** A `for..of` and a `for await` job on a FileBackend in `dir`, at saveEvery 1. */
export interface FileJobs {
  forOf(items: number[]): Promise<LoopTiming>;
  forAwait(items: number[]): Promise<LoopTiming>;
  close(): Promise<void>;
}

/** Signing (and encryption) options of a benchmarked job: `secret`, `encrypt`. */
export interface SealOptions {
  secret?: string;
  encrypt?: boolean;
}

/** FileBackend jobs in `dir` with the given durability, saving after every item (optionally signed or encrypted). */
export function fileJobs(dir: string, durability: Durability, seal: SealOptions = {}): FileJobs {
  const backend = new FileBackend({ dir });
  const tag = seal.encrypt ? '-encrypted' : seal.secret ? '-signed' : '';
  const jobs = backendJobs(backend, `file-${durability}${tag}`, { durability, ...seal });
  return { forOf: jobs.forOf, forAwait: jobs.forAwait, close: () => backend.close() };
}

/**
 * A MemoryBackend `for..of` job at `saveEvery`; its body is the same as {@link plainSum}'s in
 * baselines.ts.
 */
export function memoryJob(saveEvery: number): (items: number[]) => Promise<LoopTiming> {
  const backend = new MemoryBackend();
  class MemoryJob {
    @SafeState({ name: 'bench-memory-for-of', backend, saveEvery })
    async run(items: number[]): Promise<LoopTiming> {
      let sum = 0;
      let n = 0;
      let first = 0;
      for (const x of items) {
        if (n++ === 0) first = performance.now();
        sum += x;
      }
      const end = performance.now();
      return { first, end, n, sum };
    }
  }
  const job = new MemoryJob();
  return (items) => job.run(items);
}
