import type { ItemKey } from '../progress/key-progress';

/**
 * What every message of safe-state's diagnostics channels carries: which job, which run of it.
 * See {@link SAFE_STATE_CHANNELS} and docs/observability.md.
 */
export interface JobMessage {
  /** The job's name (its checkpoint's name). */
  job: string;
  /**
   * The run number of the job's current series of runs: 1 for a fresh start, 2 for the first
   * resume, and so on (the checkpoint's run count, as `safe-state show` prints it).
   */
  run: number;
  /**
   * Identifies this call of the job in this process (a counter shared by every loaded copy of
   * safe-state): the messages of one call carry the same `runId`, also when calls of jobs with the
   * same name overlap (two backends, `workers`).
   */
  runId: number;
}

/** Where an item is: its position in the input and, with the `key` option, its key. */
export interface ItemMessage extends JobMessage {
  /** Position of the item in the job's input (0-based). */
  index: number;
  /** The item's key with the `key` option, else `undefined`. */
  key: ItemKey | undefined;
}

/** Counts of the job's progress, as of the message. */
export interface ProgressCounts {
  /** Items done so far in this series of runs (earlier runs included). */
  done: number;
  /** Number of items of the input when known (arrays, Sets, Maps, sized iterables), else `null`. */
  total: number | null;
}

/**
 * `safe-state:job:start`: a call of a job took its lock, loaded its checkpoint and is about to run
 * the body (published after the save that counts the run).
 */
export interface JobStartMessage extends JobMessage, ProgressCounts {
  /** Whether this run resumes an unfinished checkpoint (false for a fresh start). */
  resumed: boolean;
  /** Class name of the backend the checkpoint lives in (`FileBackend`, `RedisBackend`, ...). */
  backend: string;
  /** When the body is about to start (milliseconds since the epoch, `Date.now()`). */
  startedAt: number;
}

/** `safe-state:item:done`: the body finished an item, which is now marked done (saved when a save is due). */
export interface ItemDoneMessage extends ItemMessage, ProgressCounts {
  /**
   * Milliseconds from handing the item to the body until it counted as done (in a loop, until the
   * body asked for the next item; in `concurrently()`, until its callback resolved). `null` when
   * nobody listened to the item channels while the item started.
   */
  durationMs: number | null;
}

/**
 * `safe-state:item:failed`: an item's processing ended with an error, for good: the job stops on it
 * (the default), or, with a skip policy, records it as failed and goes on. Not published for a try
 * that is retried (see {@link ItemRetryMessage}).
 */
export interface ItemFailedMessage extends ItemMessage, ProgressCounts {
  /** The error, as thrown (unchanged). */
  error: unknown;
  /** How many times the item was tried in all (1 without retries). */
  tries: number;
  /** What the job does next: `'stop'` (the call rejects with this error) or `'skip'` (goes on with the next item). */
  action: 'stop' | 'skip';
  /** Milliseconds from handing the item to the body until it failed, or `null` (see {@link ItemDoneMessage.durationMs}). */
  durationMs: number | null;
}

/** `safe-state:item:retry`: a try of an item failed and the item will be tried again after a delay. */
export interface ItemRetryMessage extends Omit<ItemMessage, 'index'> {
  /** Position of the failed item in the job's input (0-based), or `null` when the body failed outside an item. */
  index: number | null;
  /** The error of the try that failed. */
  error: unknown;
  /** Number of the try that failed (1 for the first). */
  tries: number;
  /** Tries allowed in all (the `retry.attempts` option). */
  attempts: number;
  /** Milliseconds until the next try. */
  delayMs: number;
}

/** `safe-state:save`: a write of the checkpoint to the backend finished (or failed). */
export interface SaveMessage extends JobMessage {
  /** `'full'`: the whole compact checkpoint was written; `'append'`: one small progress record. */
  kind: 'full' | 'append';
  /** Size of what was written, in bytes (UTF-8, after signing and encryption). */
  bytes: number;
  /** Items done as of this save. */
  done: number;
  /** Milliseconds the write took, from the call to the backend until it returned or resolved. */
  durationMs: number;
  /** The error of a failed write (the job then fails with a `BackendError`); absent when it succeeded. */
  error?: unknown;
}

/**
 * `safe-state:job:end`: a call of a job ended, after its last save and the release of its lock
 * (published for every call that published `safe-state:job:start`, except when a signal or a
 * crash ended the process).
 */
export interface JobEndMessage extends JobMessage, ProgressCounts {
  /** `'completed'`: the body returned (the checkpoint was cleared, or kept with `keepOnSuccess`); `'failed'`: the call rejects. */
  outcome: 'completed' | 'failed';
  /** The error the call rejects with (when `outcome` is `'failed'`). */
  error?: unknown;
  /** Milliseconds from `safe-state:job:start` until the call ended. */
  durationMs: number;
}
