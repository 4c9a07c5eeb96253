import type { JobDefinition } from '../engine/job-definition';
import { resolveJobName } from '../engine/job-definition';
import { makeLogger } from '../engine/logger';
import { resolveRetry } from './retry-options';
import { checkReiterable } from './policy-options';
import { RetrySeries } from './retry-series';
import { JobTry } from './job-try';
import { abortableSleep } from './abortable-sleep';

type Body = (...a: unknown[]) => unknown;
/** One try: the engine's `runJob` with the try's hooks. @internal */
export type RunTry = (def: JobDefinition, thisArg: unknown, args: unknown[], body: Body, t: JobTry) => Promise<unknown>;

/** Whether a job's options ask for the policy runner (checked once per call). @internal */
export function hasPolicy(options: JobDefinition['options']): boolean {
  return options.retry !== undefined || options.signal !== undefined || (options.onItemError !== undefined && options.onItemError !== 'stop');
}

/**
 * One call of a job with `retry`, `signal` and/or `onItemError: 'skip'`: tries until one succeeds,
 * the tries are spent, the failure is not retryable, or the signal is aborted; with 'skip', an item
 * whose tries are spent is recorded as failed and the next try starts at once after it. Each try is a run of its own (lock, load,
 * resume at the failed item, `resumeState()` available), as a rerun after a crash would be; the
 * checkpoint is saved before each backoff, with the item's tries in `lastFailure`.
 *
 * An already-aborted signal rejects with its reason before anything is locked, loaded or written.
 * When the signal is aborted during a try, the call rejects with the signal's reason (the try's
 * own error is the checkpoint's `lastFailure`); during a backoff, at once.
 * @internal
 */
export async function runWithPolicy(def: JobDefinition, thisArg: unknown, args: unknown[], body: Body, runTry: RunTry): Promise<unknown> {
  const opts = def.options;
  const retry = opts.retry !== undefined ? resolveRetry(opts.retry) : null;
  const signal = opts.signal;
  if (((retry && retry.attempts > 1) || opts.onItemError === 'skip') && opts.autoIterate !== false) {
    const argIndex = opts.iterableArg ?? 0;
    checkReiterable(resolveJobName(def, thisArg), args[argIndex], argIndex);
  }
  if (signal?.aborted) throw signal.reason;
  const series = new RetrySeries(retry);
  for (;;) {
    const t = new JobTry(series, signal, opts.onItemError);
    try {
      return await runTry(def, thisArg, args, body, t);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const delayMs = t.retryAfterMs;
      if (delayMs === null) throw error;
      const job = resolveJobName(def, thisArg);
      if (t.skipped) {
        makeLogger(opts.verbose)?.info(`'${job}' recorded item ${t.failedIndex} as failed after ${t.tries} ${t.tries === 1 ? 'try' : 'tries'} and goes on`);
        continue;
      }
      makeLogger(opts.verbose)?.info(`'${job}' retries ${t.failedIndex === null ? 'its body' : `item ${t.failedIndex}`} in ${delayMs} ms (try ${t.tries + 1} of ${retry!.attempts})`);
      await abortableSleep(delayMs, signal);
    }
  }
}
