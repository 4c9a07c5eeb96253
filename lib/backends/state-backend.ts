import type { BackendLock, LockHolder } from './lock';
import { inProcessLock } from './in-process-lock';
import type { SharedChunkStore } from './shared-chunks';
import type { WorkerSpec } from './blocking/worker-spec';

/**
 * How far a save must get before it counts.
 * - `'strict'`: on stable storage (fdatasync, or the server's commit); survives power loss.
 * - `'process'`: handed to the OS (or the server) only; survives a crash or `kill -9` of the
 *   process, not of the machine.
 *
 * @example
 * ```ts
 * @SafeState({ name: 'fast-job', durability: 'process' })   // no fsync per save
 * async run(xs: number[]) { ... }
 * ```
 */
export type Durability = 'strict' | 'process';

/**
 * Options the engine passes with each write.
 *
 * @example
 * ```ts
 * class MyBackend extends StateBackend {
 *   async save(job: string, data: string, options?: WriteOptions) {
 *     await this.store.put(job, data, { sync: options?.durability !== 'process' });
 *   }
 *   // load, delete, exists …
 * }
 * ```
 */
export interface WriteOptions {
  /** See {@link Durability}. Backends that cannot tell the difference may ignore it. */
  durability: Durability;
}

/**
 * Where checkpoints live. A subclass implements four methods over opaque text; everything else
 * has a default here, so a backend written against the four methods keeps working forever.
 *
 * Contract of the text: the engine writes whole checkpoints with {@link StateBackend.save} and,
 * when the backend offers {@link StateBackend.append}, small records after them. {@link StateBackend.load}
 * returns what was saved followed by what was appended since, concatenated. The engine's text is
 * made of lines (every record ends in `\n` and holds no other newline), which lets line-framed
 * stores such as {@link FileBackend} check each record on its own.
 *
 * Optional hooks the engine uses when present and falls back from when absent:
 * - `saveSync` / `appendSync`: synchronous writes. They let a plain `for..of` loop keep the
 *   "at most the in-flight item is repeated" guarantee (a sync iterator step cannot await).
 * - `append` / `appendSync`: incremental progress (one small record per save instead of a
 *   whole checkpoint); the engine compacts with `save` now and then.
 * - `lock`: exclusion between runs of one job; the default only excludes runs in this process.
 * - `list`: job names, for the CLI; the default answers an empty list.
 * - `location`: a human-readable place (file path) for messages; default `null`.
 * - `close`: releases connections the backend opened itself.
 * - `sharedChunks`: chunks with expiring leases for `workers: 'shared'` (see {@link SharedChunkStore});
 *   without it a backend refuses shared jobs.
 * - `workerSpec` (built-in backends only): how a worker thread opens the same backend on a
 *   connection of its own, so that a plain `for..of` can block on an asynchronous save. A backend of
 *   yours whose `save` returns a promise gets a one-time warning in `for..of` instead: use
 *   `for await`, or give it `saveSync` (and `appendSync`).
 *
 * @example
 * ```ts
 * class MapBackend extends StateBackend {
 *   private m = new Map<string, string>();
 *   async load(job: string) { return this.m.get(job) ?? null; }
 *   async save(job: string, data: string) { this.m.set(job, data); }
 *   async delete(job: string) { this.m.delete(job); }
 *   async exists(job: string) { return this.m.has(job); }
 * }
 * ```
 */
export abstract class StateBackend {
  /**
   * Returns the stored text of a job (what was saved, plus what was appended since), or `null`.
   * @param jobName - the job
   */
  abstract load(jobName: string): Promise<string | null>;

  /**
   * Replaces the stored text of a job, atomically: a reader sees the old or the new text, never a mix.
   * @param jobName - the job
   * @param data - the text
   * @param options - durability wanted by the job
   */
  abstract save(jobName: string, data: string, options?: WriteOptions): Promise<void>;

  /**
   * Removes the stored text of a job; removing a missing job is not an error.
   * @param jobName - the job
   */
  abstract delete(jobName: string): Promise<void>;

  /**
   * Whether a job has stored text.
   * @param jobName - the job
   */
  abstract exists(jobName: string): Promise<boolean>;

  /**
   * Optional synchronous {@link StateBackend.save}.
   * @param jobName - the job
   * @param data - the text
   * @param options - durability wanted by the job
   */
  saveSync?(jobName: string, data: string, options?: WriteOptions): void;

  /**
   * Optional incremental write: appends `records` (one or more lines, each ending in `\n`) after
   * the job's stored text. Only called after a `save` of the same job in the same run.
   * @param jobName - the job
   * @param records - the lines to add
   * @param options - durability wanted by the job
   */
  append?(jobName: string, records: string, options?: WriteOptions): Promise<void>;

  /**
   * Optional synchronous {@link StateBackend.append}.
   * @param jobName - the job
   * @param records - the lines to add
   * @param options - durability wanted by the job
   */
  appendSync?(jobName: string, records: string, options?: WriteOptions): void;

  /**
   * Takes the lock of a job for one run; throws {@link JobLockedError} naming the holder when
   * another run has it. The default excludes runs inside this process only.
   * @param jobName - the job
   * @param holder - who asks (pid, host, start time)
   */
  async lock(jobName: string, holder: LockHolder): Promise<BackendLock> {
    return inProcessLock(this, jobName, holder);
  }

  /** Names of the jobs that have stored text. The default answers `[]` (listing unsupported). */
  async list(): Promise<string[]> {
    return [];
  }

  /**
   * A human-readable location of a job's checkpoint (a file path), or `null`.
   * @param jobName - the job
   */
  location(jobName: string): string | null {
    void jobName;
    return null;
  }

  /**
   * Optional: the chunk store of shared jobs (`workers: 'shared'`). A backend without it cannot run
   * shared jobs: the engine refuses them with `InvalidOptionsError` naming `workers`.
   */
  sharedChunks?(): SharedChunkStore;

  /**
   * Optional, for the built-in network backends: how a worker thread can open this backend on a
   * connection of its own (plain data), with the run's lock state for `jobName`, or `null` when it
   * cannot be described. A plain `for..of` over such a backend saves through that worker and waits
   * for each save (`Atomics.wait`), so item k is stored before item k+1 is handed out.
   * @internal
   * @param jobName - the job whose run saves
   */
  workerSpec?(jobName: string): WorkerSpec | null;

  /** Releases resources the backend opened itself (files, connections). The default does nothing. */
  async close(): Promise<void> {}
}
