import { IndexProgress } from '../progress/index-progress';
import type { ItemKey, KeyProgress } from '../progress/key-progress';
import type { FailedRecord } from './failed-items';

/**
 * The failure a run ended with (`lastFailure` of a {@link Checkpoint}).
 *
 * @example
 * ```ts
 * const f = (await SafeState.of(job, 'run').peekCheckpoint())?.lastFailure;
 * if (f) console.log(`failed at item ${f.index} on ${f.at}: ${f.name}: ${f.message}`);
 * ```
 */
export interface FailureInfo {
  /** Index of the item in flight, or `null` when no item was. */
  index: number | null;
  /** Error name (`TypeError`, …). */
  name: string;
  /** Error message. */
  message: string;
  /** Stack trace, when the error had one. */
  stack: string | null;
  /** When it happened (ISO 8601). */
  at: string;
  /** The failed item's key, for jobs with the `key` option (recorded with `retry`). */
  key?: ItemKey;
  /**
   * With `retry`: tries of the failed item so far, this one included (a retry series a killed
   * process left goes on counting from here).
   */
  tries?: number;
  /** With `retry`: whether another try was to follow (`false`: the tries were spent, or not retryable). */
  retrying?: boolean;
}

/**
 * Everything a checkpoint holds, in memory. User values (`state`, `frozenState`, results) stay
 * serialized text here: they are parsed (and live objects rebuilt) only when a run resumes.
 * @internal
 */
export interface CheckpointDoc {
  jobName: string;
  totalItems: number | null;
  /** hashes of the first items (see fingerprint.ts), index → hash */
  fingerprint: string[];
  runCount: number;
  complete: boolean;
  createdAt: number;
  updatedAt: number;
  progress: IndexProgress;
  keys: KeyProgress | null;
  lastFailure: FailureInfo | null;
  state: string | null;
  frozenState: string | null;
  /** result key (JSON of the index or item key) → serialized value */
  results: Map<string, string>;
  /** items that failed with `onItemError: 'skip'` (also marked done until the next call), or null */
  failed: FailedRecord | null;
}

/** @internal */
export function newDoc(jobName: string, keys: KeyProgress | null): CheckpointDoc {
  const now = Date.now();
  return {
    jobName, totalItems: null, fingerprint: [], runCount: 0, complete: false, createdAt: now, updatedAt: now,
    progress: new IndexProgress(), keys, lastFailure: null, state: null, frozenState: null, results: new Map(), failed: null,
  };
}

/** What {@link resetItems} changed. @internal */
export interface ResetOutcome {
  /** how many of the named items were done (and are not any more) */
  reset: number;
  /** how many were named */
  named: number;
}

/**
 * Marks items not done again, for the CLI's `reset` (the next run processes them again): index
 * ranges `[a, b]` (inclusive) for positional jobs, or item keys for jobs with the `key` option.
 * Their stored results are dropped, a kept complete checkpoint becomes resumable again (so the
 * next run redoes only these items), and `updatedAt` becomes `now`. Everything else (runs,
 * last failure, saved state, fingerprint) is kept.
 * @internal
 */
export function resetItems(doc: CheckpointDoc, items: { ranges: [number, number][] } | { keys: ItemKey[] }, now: number): ResetOutcome {
  let reset = 0;
  let named = 0;
  if ('ranges' in items) {
    for (const [a, b] of items.ranges) {
      named += b - a + 1;
      reset += doc.progress.markUndone(a, b);
      if (doc.results.size !== 0) {
        if (b - a + 1 <= doc.results.size) {
          for (let i = a; i <= b; i++) doc.results.delete(JSON.stringify(i));
        } else {
          for (const k of [...doc.results.keys()]) {
            const i = Number(k);
            if (Number.isInteger(i) && i >= a && i <= b) doc.results.delete(k);
          }
        }
      }
    }
  } else {
    for (const key of items.keys) {
      named++;
      if (doc.keys?.markUndone(key)) reset++;
      doc.results.delete(JSON.stringify(key));
    }
  }
  if (reset > 0) {
    doc.complete = false;
    doc.updatedAt = now;
  }
  return { reset, named };
}
