import type { StateBackend } from '../backends/state-backend';
import type { CheckpointDoc, FailureInfo } from '../state/checkpoint-doc';
import { CheckpointCorruptError } from '../errors/checkpoint-corrupt-error';
import type { BackendError } from '../errors/backend-error';
import type { SafeStateError } from '../errors/safe-state-error';
import { loadCheckpoint } from '../engine/load-checkpoint';
import { keyringFor } from '../state/keyring';
import { readSharedJob } from './shared-jobs';

/** What the CLI knows about one readable checkpoint. @internal */
export interface JobReport {
  readable: true;
  job: string;
  /** where the backend keeps it (a file path), or null */
  location: string | null;
  /** the decoded checkpoint (the engine's own model, read through the shared codec) */
  doc: CheckpointDoc;
  /** items done (indices, or keys for jobs with the `key` option), failed items not counted */
  done: number;
  /** items that failed with `onItemError: 'skip'` (the next run runs them) */
  failed: number;
  /** items of the input, or null when the input did not tell */
  total: number | null;
  /** done / total in 0..1, or null when the total is unknown */
  progress: number | null;
  runs: number;
  /** kept after success (`keepOnSuccess`) */
  complete: boolean;
  /** the job resumes by item key (the `key` option) */
  keyed: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastFailure: FailureInfo | null;
}

/** A checkpoint that exists but cannot be read. @internal */
export interface UnreadableReport {
  readable: false;
  job: string;
  location: string | null;
  error: SafeStateError;
}

/** @internal */
export type JobEntry = JobReport | UnreadableReport;

/**
 * Loads a job's checkpoint through the engine's own loader (backend, seal check with the
 * `SAFE_STATE_SECRET` keyring when set, codec); `null` when there is none. Damage fails with
 * {@link CheckpointCorruptError} naming the job and the location, exactly as a run of the job
 * would; a failing backend with {@link BackendError}.
 * @internal
 */
export async function readJob(backend: StateBackend, job: string): Promise<JobReport | null> {
  const doc = await loadCheckpoint(backend, job, keyringFor({}));
  return doc ? report(doc, backend.location(job)) : readSharedJob(backend, job);
}

/** The figures of a decoded checkpoint. @internal */
export function report(doc: CheckpointDoc, location: string | null): JobReport {
  const failed = doc.failed?.count ?? 0;
  const done = (doc.keys ? doc.keys.size : doc.progress.size) - failed; // failed items are marked done while their call runs
  const total = doc.totalItems;
  return {
    readable: true,
    job: doc.jobName,
    location,
    doc,
    done,
    failed,
    total,
    progress: total === null ? null : total === 0 ? 1 : Math.min(1, done / total),
    runs: doc.runCount,
    complete: doc.complete,
    keyed: doc.keys !== null,
    createdAt: new Date(doc.createdAt),
    updatedAt: new Date(doc.updatedAt),
    lastFailure: doc.lastFailure,
  };
}

/**
 * Like {@link readJob}, but an unreadable checkpoint becomes an {@link UnreadableReport} instead of
 * an error (for `list`, which reports every job). Backend failures still throw.
 * @internal
 */
export async function readJobEntry(backend: StateBackend, job: string): Promise<JobEntry | null> {
  try {
    return await readJob(backend, job);
  } catch (e) {
    if (CheckpointCorruptError.is(e)) return { readable: false, job, location: backend.location(job), error: e };
    throw e;
  }
}
