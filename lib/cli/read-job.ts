import type { StateBackend } from '../backends/state-backend';
import type { CheckpointDoc, FailureInfo } from '../state/checkpoint-doc';
import { CodecError, decodeCheckpoint } from '../state/checkpoint-codec';
import { CheckpointCorruptError } from '../errors/checkpoint-corrupt-error';
import { BackendError } from '../errors/backend-error';
import { SafeStateError } from '../errors/safe-state-error';

/** What the CLI knows about one readable checkpoint. @internal */
export interface JobReport {
  readable: true;
  job: string;
  /** where the backend keeps it (a file path), or null */
  location: string | null;
  /** the decoded checkpoint (the engine's own model, read through the shared codec) */
  doc: CheckpointDoc;
  /** items done (indices, or keys for jobs with the `key` option) */
  done: number;
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

/** Errors of a backend become {@link BackendError}s (exit code 4), safe-state's own stay as they are. */
function asBackendError(e: unknown, what: string): SafeStateError {
  if (SafeStateError.is(e)) return e;
  return new BackendError(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/**
 * Loads a job's checkpoint and decodes it with the engine's codec; `null` when there is none.
 * Damage fails with {@link CheckpointCorruptError} naming the job and the location, exactly as a run
 * of the job would; a failing backend with {@link BackendError}.
 * @internal
 */
export async function readJob(backend: StateBackend, job: string): Promise<JobReport | null> {
  let text: string | null;
  try {
    text = await backend.load(job);
  } catch (e) {
    throw asBackendError(e, `cannot load the checkpoint of job '${job}'`);
  }
  if (text === null) return null;
  const location = backend.location(job);
  let doc: CheckpointDoc;
  try {
    if (typeof text !== 'string') throw new CodecError(1, `the backend returned ${typeof text} instead of text`);
    doc = decodeCheckpoint(text);
    if (doc.jobName !== job) throw new CodecError(1, `it belongs to job '${doc.jobName}'`);
  } catch (e) {
    if (e instanceof CodecError) throw new CheckpointCorruptError(job, `${location ? location + ' ' : ''}(record ${e.line})`, e.message);
    throw e;
  }
  return report(doc, location);
}

/** The figures of a decoded checkpoint. @internal */
export function report(doc: CheckpointDoc, location: string | null): JobReport {
  const done = doc.keys ? doc.keys.size : doc.progress.size;
  const total = doc.totalItems;
  return {
    readable: true,
    job: doc.jobName,
    location,
    doc,
    done,
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
