import { SafeState, StateBackend, safeState, type SafeStateOptions } from '../lib/index';
import type { LoopTiming } from './loop-timing';

/**
 * Jobs over any backend, written the way a user writes them (`@SafeState` on an async method,
 * saveEvery 1) with a trivial body (summing numbers); each reports its loop window.
 */
export interface BackendJobs {
  forAwait(items: number[]): Promise<LoopTiming>;
  forOf(items: number[]): Promise<LoopTiming>;
}

/**
 * A `for await` and a `for..of` job named `bench-<id>-…` on `backend`, saving after every item;
 * `extra` adds options (durability, secret, encrypt).
 */
export function backendJobs(backend: StateBackend, id: string, extra: SafeStateOptions = {}): BackendJobs {
  class BackendJob {
    @SafeState({ name: `bench-${id}-for-await`, backend, saveEvery: 1, ...extra })
    async forAwait(items: number[]): Promise<LoopTiming> {
      let sum = 0;
      let n = 0;
      let first = 0;
      for await (const x of items) {
        if (n++ === 0) first = performance.now();
        sum += x;
      }
      const end = performance.now();
      return { first, end, n, sum };
    }

    @SafeState({ name: `bench-${id}-for-of`, backend, saveEvery: 1, ...extra })
    async forOf(items: number[]): Promise<LoopTiming> {
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
  const job = new BackendJob();
  return { forAwait: (items) => job.forAwait(items), forOf: (items) => job.forOf(items) };
}

/** A backend with only the four methods: the engine then saves the whole checkpoint each time, as on SQL. */
class WholeTextBackend extends StateBackend {
  readonly texts = new Map<string, string>();
  async load(job: string) {
    return this.texts.get(job) ?? null;
  }
  async save(job: string, data: string) {
    this.texts.set(job, data);
  }
  async delete(job: string) {
    this.texts.delete(job);
  }
  async exists(job: string) {
    return this.texts.has(job);
  }
}

/**
 * The whole checkpoint text the engine saves per item for a job like the ones above (over `count`
 * items, mid-run): the size of one SQL save, so the raw upsert of the baseline writes as much.
 */
export async function checkpointText(count: number): Promise<string> {
  const backend = new WholeTextBackend();
  const name = 'bench-sql-for-await';
  let text = '';
  await safeState(async (xs: number[]) => {
    for await (const x of xs) if (x === count >> 1) text = backend.texts.get(name) ?? '';
  }, { name, backend, saveEvery: 1 })(Array.from({ length: count }, (_, i) => i));
  return text;
}
