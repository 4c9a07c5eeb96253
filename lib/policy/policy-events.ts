import type { ItemKey } from '../progress/key-progress';

/**
 * What a retry is about to do (the payload of the future `safe-state:item:retry` channel).
 * @internal
 */
export interface RetryEvent {
  /** the job's name */
  job: string;
  /** index of the item that failed, or null when the body failed outside an item */
  index: number | null;
  /** the item's key with the `key` option */
  key: ItemKey | undefined;
  /** tries of the item so far (the failed one included) */
  attempt: number;
  /** tries in all that the `retry` option allows */
  attempts: number;
  /** delay before the next try, ms */
  delayMs: number;
  /** the error of the failed try */
  error: unknown;
}

/**
 * The single call site of a retry (called once per retry, after the failed try was saved and
 * before the backoff). Does nothing yet: this is where the `safe-state:item:retry`
 * diagnostics channel is published.
 * @internal
 */
export function onRetry(event: RetryEvent): void {
  void event;
}

/**
 * An item whose tries are spent was recorded as failed (`onItemError: 'skip'`): the payload of the
 * future `safe-state:item:failed` channel.
 * @internal
 */
export interface ItemFailedEvent {
  /** the job's name */
  job: string;
  /** index of the item */
  index: number;
  /** the item's key with the `key` option */
  key: ItemKey | undefined;
  /** tries the item had */
  attempt: number;
  /** the error of its last try */
  error: unknown;
}

/**
 * The single call site of a skipped item (called once per item recorded as failed, after the
 * record was saved). Does nothing yet: this is where the `safe-state:item:failed` diagnostics
 * channel is published.
 * @internal
 */
export function onItemFailed(event: ItemFailedEvent): void {
  void event;
}
