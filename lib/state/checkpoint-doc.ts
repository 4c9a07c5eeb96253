import { IndexProgress } from '../progress/index-progress';
import type { KeyProgress } from '../progress/key-progress';

/** The failure a run ended with. */
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
}

/** @internal */
export function newDoc(jobName: string, keys: KeyProgress | null): CheckpointDoc {
  const now = Date.now();
  return {
    jobName, totalItems: null, fingerprint: [], runCount: 0, complete: false, createdAt: now, updatedAt: now,
    progress: new IndexProgress(), keys, lastFailure: null, state: null, frozenState: null, results: new Map(),
  };
}
