import type { FailureInfo } from '../state/checkpoint-doc';
import type { ItemKey } from '../progress/key-progress';
import type { RetryPolicy } from './retry-options';
import { stepBackoff } from './backoff';

/** The item a try failed at: its index (null outside an item) and, with `key`, its key. */
interface FailedItem {
  index: number | null;
  key: ItemKey | undefined;
  tries: number;
}

function sameItem(a: FailedItem, index: number | null, key: ItemKey | undefined): boolean {
  return a.key !== undefined || key !== undefined ? a.key === key : a.index === index;
}

/**
 * The tries of one call of a job with `retry`: how many times the item in flight has failed,
 * counted from the checkpoint (a retry series a killed process left, `lastFailure.retrying`) and
 * then in memory (so a failure save that did not land cannot reset the count either).
 * @internal
 */
export class RetrySeries {
  private last: FailedItem | null = null;
  private inherited = false;

  constructor(readonly policy: RetryPolicy | null) {}

  /** Whether no try of this call has started yet. */
  get firstTry(): boolean {
    return !this.inherited;
  }

  /** At the start of each try: the first one takes over a series the checkpoint says was under way. */
  inherit(failure: FailureInfo | null): void {
    if (this.inherited) return;
    this.inherited = true;
    if (failure?.retrying === true && typeof failure.tries === 'number') {
      this.last = { index: failure.index, key: failure.key, tries: failure.tries };
    }
  }

  /** A try failed at this item: its tries so far, this one included. */
  count(index: number | null, key: ItemKey | undefined): number {
    const tries = this.last && sameItem(this.last, index, key) ? this.last.tries + 1 : 1;
    this.last = { index, key, tries };
    return tries;
  }

  /** Delay before the try after the `tries`-th failure. */
  delayAfter(tries: number): number {
    return stepBackoff(this.policy!.backoff, tries - 1).duration;
  }
}
