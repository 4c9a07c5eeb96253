import type { JobRun } from '../engine/job-run';
import { publishItemFailed, publishItemRetry } from '../observe/channels';
import type { JobTry } from './job-try';

/**
 * The diagnostics channels' view of a failed try of a call with a failure policy, published once
 * the policy decided (after {@link JobTry.failed}) and before the run's `job:end`:
 * `safe-state:item:retry` when a retry follows, `safe-state:item:failed` with action `'skip'` when
 * the item was recorded as failed and the call goes on, with action `'stop'` when the call ends on
 * it (a failure outside any item publishes no item message). Costs nothing when nobody listens.
 * @param run - the failed try's run
 * @param t - the try, after `failed()`
 * @param error - the try's error
 * @internal
 */
export function publishTryOutcome(run: JobRun, t: JobTry, error: unknown): void {
  const index = t.failedIndex;
  const key = t.failedKey;
  if (t.skipped) {
    if (index !== null) publishItemFailed(run, { index, key, error, tries: t.tries, action: 'skip' });
  } else if (t.retryAfterMs !== null) {
    publishItemRetry(run, { index, key, error, tries: t.tries, attempts: t.series.policy?.attempts ?? 1, delayMs: t.retryAfterMs });
  } else if (index !== null) {
    publishItemFailed(run, { index, key, error, tries: t.tries, action: 'stop' });
  }
}
