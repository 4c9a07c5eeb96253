import type { FailureInfo } from '../state/checkpoint-doc';

/**
 * What every worker of a shared job agrees on, stored in the job's record by the first worker and
 * checked by every later one.
 *
 * @example
 * ```ts
 * const layout: SharedJobLayout = { total: 10_000, chunkSize: 100, fingerprint: ['a1b2', 'c3d4'] };
 * ```
 */
export interface SharedJobLayout {
  /** Number of items of the input. */
  total: number;
  /** Items per chunk: chunk `c` holds the indices `[c * chunkSize, min(total, (c + 1) * chunkSize))`. */
  chunkSize: number;
  /** Hashes of the first items of the input (see the engine's input checks). */
  fingerprint: string[];
}

/**
 * A shared job's record as a backend answers it when a worker opens the job.
 *
 * @example
 * ```ts
 * const rec = await store.open('nightly', layout, 86_400_000);
 * if (rec.complete) return; // finished by other workers
 * ```
 */
export interface SharedJobRecord extends SharedJobLayout {
  /** Whether every chunk is done. */
  complete: boolean;
  /** Workers started so far, this one included. */
  runCount: number;
}

/**
 * A chunk a worker holds: its bounds, the lease token that fences its writes, and the offsets
 * (from `start`) of the items already done in it by earlier holders.
 *
 * @example
 * ```ts
 * const c = await store.claim('nightly', 30_000);
 * if (c.kind === 'chunk') for (let i = c.start; i < c.end; i++) if (!c.done.has(i - c.start)) work(i);
 * ```
 */
export interface ClaimedChunk {
  /** Discriminant. */
  kind: 'chunk';
  /** Chunk number. */
  chunk: number;
  /** First index of the chunk. */
  start: number;
  /** One past its last index. */
  end: number;
  /** The lease's token; every write about the chunk must present it. */
  token: string;
  /** Offsets (index − `start`) of the items of the chunk that are done already. */
  done: ReadonlySet<number>;
}

/**
 * What {@link SharedChunkStore.claim} answers: a chunk, "every chunk is done", or "every chunk
 * left is leased: try again in `retryInMs`".
 *
 * @example
 * ```ts
 * const c = await store.claim(job, leaseMs);
 * if (c.kind === 'wait') await sleep(c.retryInMs);
 * ```
 */
export type ChunkClaim =
  | ClaimedChunk
  | {
      /** Every chunk is done: the job is complete. */
      kind: 'done';
    }
  | {
      /** Every chunk left is leased by other workers. */
      kind: 'wait';
      /** When the earliest lease expires, in ms from now. */
      retryInMs: number;
    };

/**
 * A shared job's progress, for inspection (`peekCheckpoint()`, the CLI).
 *
 * @example
 * ```ts
 * const s = await store.status('nightly');
 * if (s) console.log(`${s.doneItems.length}/${s.total}`, s.complete ? 'complete' : 'running');
 * ```
 */
export interface SharedJobStatus extends SharedJobRecord {
  /** Indices of the done items, ascending. */
  doneItems: number[];
  /** The last failure a worker recorded, or `null`. */
  lastFailure: FailureInfo | null;
  /** When the record last changed (ms since the epoch). */
  updatedAt: number;
}

/**
 * The storage side of `workers: 'shared'`: chunks of item indices claimed with expiring leases.
 * A {@link StateBackend} offers it through its optional `sharedChunks()` hook; the engine uses it
 * only for shared jobs, and refuses `workers: 'shared'` on a backend without it.
 *
 * Contract:
 * - Leases are measured on one clock for every worker (the server's), so the hosts' clocks may differ.
 * - {@link SharedChunkStore.mark}, {@link SharedChunkStore.renew} and {@link SharedChunkStore.complete}
 *   are fenced: they change nothing and answer `false` once the chunk's lease went to another
 *   worker (a new token), so a worker that lost its lease never counts its marks.
 * - The completion of the last chunk marks the job complete; its record is then kept for the
 *   retention time given to `open`, then forgotten (or removed by {@link SharedChunkStore.clear}).
 *
 * @example
 * ```ts
 * class MyBackend extends StateBackend {
 *   // load, save, delete, exists …
 *   sharedChunks(): SharedChunkStore { return this.chunks; }
 * }
 * ```
 */
export interface SharedChunkStore {
  /**
   * Creates the job's record when there is none (or the kept record of a completed job expired),
   * counts a worker start, and answers the record as stored (another worker's layout wins).
   * @param jobName - the job
   * @param layout - this worker's view of the input
   * @param completedTtlMs - how long the record of a completed job is kept
   */
  open(jobName: string, layout: SharedJobLayout, completedTtlMs: number): Promise<SharedJobRecord>;

  /**
   * Claims a chunk that is not done and not leased (never claimed, or its lease expired).
   * @param jobName - the job
   * @param leaseMs - lease length
   */
  claim(jobName: string, leaseMs: number): Promise<ChunkClaim>;

  /**
   * Extends a held lease; `false` when it is no longer ours.
   * @param jobName - the job
   * @param chunk - the chunk number
   * @param token - the lease's token
   * @param leaseMs - new lease length from now
   */
  renew(jobName: string, chunk: number, token: string, leaseMs: number): Promise<boolean>;

  /**
   * Records items of a held chunk as done (fenced) and extends the lease by `leaseMs` from now, so a
   * worker that makes progress keeps its lease even when its timers are starved; `false` when the
   * lease is no longer ours (nothing written).
   * @param jobName - the job
   * @param chunk - the chunk number
   * @param token - the lease's token
   * @param offsets - offsets of the done items from the chunk's start
   * @param leaseMs - new lease length from now
   */
  mark(jobName: string, chunk: number, token: string, offsets: readonly number[], leaseMs: number): Promise<boolean>;

  /**
   * Marks a held chunk done (fenced); when it was the last one, the job becomes complete.
   * @param jobName - the job
   * @param chunk - the chunk number
   * @param token - the lease's token
   * @param completedTtlMs - how long the record of the completed job is kept
   * @returns `'lost'` when the lease is no longer ours, `'job-complete'` when this completed the job, else `'ok'`
   */
  complete(jobName: string, chunk: number, token: string, completedTtlMs: number): Promise<'ok' | 'lost' | 'job-complete'>;

  /**
   * Gives a held chunk back at once (its done items stay done): another worker may claim it now.
   * @param jobName - the job
   * @param chunk - the chunk number
   * @param token - the lease's token
   */
  release(jobName: string, chunk: number, token: string): Promise<void>;

  /**
   * Stores the last failure of a worker in the job's record.
   * @param jobName - the job
   * @param failure - what failed
   */
  recordFailure(jobName: string, failure: FailureInfo): Promise<void>;

  /**
   * The job's progress, or `null` when it has no record.
   * @param jobName - the job
   */
  status(jobName: string): Promise<SharedJobStatus | null>;

  /**
   * Removes the job's record and chunks (a missing job is not an error).
   * @param jobName - the job
   */
  clear(jobName: string): Promise<void>;

  /** Names of the jobs that have a shared record. */
  list(): Promise<string[]>;
}
