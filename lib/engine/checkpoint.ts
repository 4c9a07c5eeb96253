import type { CheckpointDoc, FailureInfo } from '../state/checkpoint-doc';
import type { ItemKey } from '../progress/key-progress';
import { inertStored } from './stored-values';
import type { FailedItem, FailedRecord } from '../state/failed-items';

/**
 * The items that failed with `onItemError: 'skip'` ({@link Checkpoint.failedItems}): all of them
 * (`has`, iteration, `count`), and the details of the first ones.
 *
 * @example
 * ```ts
 * const failed = (await SafeState.of(job, 'run').peekCheckpoint())?.failedItems;
 * if (failed?.count) console.log(`${failed.count} failed:`, [...failed], failed.details[0]?.message);
 * ```
 */
export interface FailedItems extends Iterable<ItemKey> {
  /** Number of failed items. */
  readonly count: number;
  /** Whether the item at `index` (or, with the `key` option, with key `key`) failed. */
  has(indexOrKey: ItemKey): boolean;
  /** Error name, message, tries and time of the first failed items (at most 100). */
  readonly details: readonly FailedItem[];
}

function failedView(f: FailedRecord | null): FailedItems {
  const ranges = f ? f.ranges.map(([a, b]) => [a, b] as const) : [];
  const keys = f?.keys ? new Set(f.keys) : null;
  const details = Object.freeze((f?.details ?? []).map((d) => Object.freeze({ ...d })));
  return {
    count: f?.count ?? 0,
    details,
    has: (k: ItemKey) => (keys ? keys.has(k) : typeof k === 'number' && ranges.some(([a, b]) => k >= a && k <= b)),
    *[Symbol.iterator]() {
      if (keys) yield* keys;
      else for (const [a, b] of ranges) for (let i = a; i <= b; i++) yield i;
    },
  };
}

/**
 * The set of completed item indices of a checkpoint.
 *
 * @example
 * ```ts
 * const cp = await SafeState.of(job, 'run').peekCheckpoint();
 * if (cp && !cp.completedIndices.has(42)) console.log(`item 42 is not done; ${cp.completedIndices.size} are`);
 * ```
 */
export interface CompletedIndices extends Iterable<number> {
  /** Whether item `index` is done. */
  has(index: number): boolean;
  /** Number of done items. */
  readonly size: number;
}

/**
 * A read-only view of a job's checkpoint, as returned by `peekCheckpoint()`. Live objects saved
 * through reconnectors stay inert descriptors (`{ reconnector, meta }`): inspecting never opens
 * connections.
 *
 * @example
 * ```ts
 * const cp = await SafeState.of(job, 'run').peekCheckpoint();
 * if (cp) console.log(`${cp.completedIndices.size}/${cp.totalItems}`, cp.lastFailure?.message);
 * ```
 */
export class Checkpoint {
  /** The job's name. */
  readonly jobName: string;
  /** Indices of completed items. */
  readonly completedIndices: CompletedIndices;
  /** Keys of completed items, for jobs with the `key` option; else `null`. */
  readonly completedKeys: ReadonlySet<ItemKey> | null;
  /** Number of items of the input, or `null` when the input did not tell. */
  readonly totalItems: number | null;
  /** How the last failed run ended, or `null`. */
  readonly lastFailure: FailureInfo | null;
  /** The job instance's own fields when the last run failed, or `undefined`. */
  readonly frozenState: unknown;
  /** The state passed to `checkpoint()`, or `undefined`. */
  readonly state: unknown;
  /** Values passed to `record()` (with `storeResults`), by item index (or key). */
  readonly results: ReadonlyMap<ItemKey, unknown>;
  /** Runs started so far, including runs that were killed. */
  readonly runCount: number;
  /** Whether the job completed (a kept checkpoint, `keepOnSuccess`). */
  readonly complete: boolean;
  /** When progress was last saved. */
  readonly updatedAt: Date;
  /**
   * Items that failed with `onItemError: 'skip'` (empty, `count` 0, when none). They are not done
   * (not in `completedIndices` / `completedKeys`): the next run runs them.
   */
  readonly failedItems: FailedItems;

  /** @internal */
  constructor(doc: CheckpointDoc, location: string | null = null) {
    const p = doc.progress.clone();
    const k = doc.keys ? doc.keys.clone() : null;
    if (doc.failed) for (const [a, b] of doc.failed.ranges) p.markUndone(a, b); // failed items are not done
    if (doc.failed?.keys) for (const key of doc.failed.keys) k?.markUndone(key);
    this.jobName = doc.jobName;
    this.completedIndices = { has: (i: number) => p.isDone(i), get size() { return p.size; }, [Symbol.iterator]: () => p.indices() };
    this.completedKeys = k ? k.keys : null; // a view: integer keys stay ranges
    this.totalItems = doc.totalItems;
    this.lastFailure = doc.lastFailure;
    const inert = (text: string, root: string) => inertStored(text, root, doc.jobName, location);
    this.frozenState = doc.frozenState === null ? undefined : inert(doc.frozenState, 'this');
    this.state = doc.state === null ? undefined : inert(doc.state, 'state');
    const results = new Map<ItemKey, unknown>();
    for (const [k, v] of doc.results) results.set(JSON.parse(k) as ItemKey, inert(v, `results[${k}]`));
    this.results = results;
    this.runCount = doc.runCount;
    this.complete = doc.complete;
    this.updatedAt = new Date(doc.updatedAt);
    this.failedItems = failedView(doc.failed);
  }

  /** Completed / total (0..1), or `null` when the total is unknown. */
  progress(): number | null {
    if (this.totalItems === null) return null;
    if (this.totalItems === 0) return 1;
    return Math.min(1, (this.completedKeys ? this.completedKeys.size : this.completedIndices.size) / this.totalItems);
  }
}
