import type { CheckpointDoc, FailureInfo } from '../state/checkpoint-doc';
import type { ItemKey } from '../progress/key-progress';
import { inertStored } from './stored-values';

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

  /** @internal */
  constructor(doc: CheckpointDoc, location: string | null = null) {
    const p = doc.progress.clone();
    this.jobName = doc.jobName;
    this.completedIndices = { has: (i: number) => p.isDone(i), get size() { return p.size; }, [Symbol.iterator]: () => p.indices() };
    this.completedKeys = doc.keys ? doc.keys.clone().keys : null; // a view: integer keys stay ranges
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
  }

  /** Completed / total (0..1), or `null` when the total is unknown. */
  progress(): number | null {
    if (this.totalItems === null) return null;
    if (this.totalItems === 0) return 1;
    return Math.min(1, (this.completedKeys ? this.completedKeys.size : this.completedIndices.size) / this.totalItems);
  }
}
