import type { CheckpointDoc } from '../state/checkpoint-doc';
import type { JobRun } from '../engine/job-run';
import type { ItemKey } from '../progress/key-progress';
import { FailedRecord } from '../state/failed-items';
import { SafeStateError } from '../errors/safe-state-error';
import { JobFailuresError } from '../errors/job-failures-error';

/**
 * At the start of a call: the items an earlier call failed (`onItemError: 'skip'`) become undone
 * again, so this call runs them (and the ones never reached). Tries after the first one of a call
 * keep the failures of this call (`keep`). Runs on every call, with or without a policy: a job
 * whose options changed must not take a failed item for done.
 * @internal
 */
export function releaseFailures(doc: CheckpointDoc, keep: boolean): void {
  const f = doc.failed;
  if (f === null || keep) return;
  if (f.keys) for (const k of f.keys) doc.keys?.markUndone(k);
  else for (const [a, b] of f.ranges) doc.progress.markUndone(a, b);
  doc.failed = null;
}

/**
 * `onItemError: 'skip'`: records item `index` as failed and marks it done for the rest of this call
 * (the failure save that follows writes both at once). Answers false when the item cannot be
 * skipped: a failure outside any item, safe-state's own errors (a changed input, a backend that
 * fails), an item whose key is unknown, or a full record (the job then stops as with 'stop').
 * @internal
 */
export function skipFailedItem(run: JobRun, index: number | null, key: ItemKey | undefined, error: unknown, tries: number): boolean {
  if (index === null || SafeStateError.is(error)) return false;
  if (run.keyFn && key === undefined) return false;
  const doc = run.doc;
  const record = (doc.failed ??= new FailedRecord(run.keyFn !== undefined));
  if (!record.hasRoom()) return false;
  const f = doc.lastFailure!;
  record.add({ index, ...(key !== undefined ? { key } : {}), name: f.name, message: f.message, tries, at: f.at });
  if (run.keyFn) doc.keys!.markDone(key!);
  else doc.progress.markDone(index);
  return true;
}

/**
 * The body returned: when items failed in this call, the checkpoint is kept (saved whole) and the
 * call rejects with {@link JobFailuresError} instead of completing.
 * @internal
 */
export async function rejectIfFailures(run: JobRun): Promise<void> {
  const f = run.doc.failed;
  if (f === null || f.count === 0) return;
  run.doc.complete = false;
  run.writer.markFullDue();
  await run.writer.flush();
  run.logger?.info(`'${run.name}' went through its input; ${f.count} item${f.count === 1 ? '' : 's'} failed and ${f.count === 1 ? 'is' : 'are'} kept for the next run`);
  throw new JobFailuresError(run.name, f.count, f.details);
}
