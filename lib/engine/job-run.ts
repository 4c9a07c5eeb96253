import type { StateBackend } from '../backends/state-backend';
import type { BackendLock } from '../backends/lock';
import type { CheckpointDoc } from '../state/checkpoint-doc';
import type { ItemKey } from '../progress/key-progress';
import type { SafeStateLogger } from './options';
import { ProgressWriter } from './progress-writer';
import { FINGERPRINT_ITEMS, itemHash } from '../state/fingerprint';
import { InputChangedError } from '../errors/input-changed-error';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { phaseHook } from '../util/test-phase';
import type { ItemProbe } from './item-probe';
import { noteItemStart, publishItemDone } from '../observe/channels';

/** The tracked argument as the body got it (`view`), with what `concurrently()` needs to drive it. @internal */
export type TrackedInput =
  | { kind: 'array'; view: unknown[] }
  | { kind: 'sync'; view: object; source: Iterable<unknown> }
  | { kind: 'async'; view: object; source: AsyncIterable<unknown> };

/**
 * One run of one job: the item in flight, the progress record and its writer. The tracked input
 * calls {@link JobRun.begin} when it hands an item to the body and {@link JobRun.finishSync} /
 * {@link JobRun.finishAsync} when the body asks for the next one.
 * @internal
 */
export class JobRun {
  /** index of the item in flight, -1 when none */
  inFlight = -1;
  private inFlightKey: ItemKey | undefined = undefined;
  /** whether the body iterated the tracked input at all */
  iterated = false;
  /** done items passed over without running the body */
  skipped = 0;
  private reportedSkips = false;
  /** state restored from the previous run (rebuilt before the body runs) */
  resumed: { state: unknown } | null = null;
  /** what the previous run left besides its state (rebuilt on demand: see resumeFrozenState, resumeResults) */
  previous: { frozen: string | null; results: ReadonlyMap<string, string>; location: string | null } | null = null;
  /** rebuilt frozen fields and results, once asked for */
  revived: { frozen?: Promise<unknown>; results?: Promise<ReadonlyMap<ItemKey, unknown>> } = {};
  /** the tracked argument as the body got it, and its source (set by tracked-input.ts) */
  tracked: TrackedInput | null = null;
  /** indices of the items in flight in `concurrently()`, while it runs; else null */
  concurrentItems: Set<number> | null = null;
  /** with `workers: 'shared'`: runs `concurrently()` over the chunks this worker claims (set by shared-run.ts) */
  shared: { concurrently(limit: number, fn: (item: unknown, index: number) => unknown): Promise<void> } | null = null;
  /** the test kit's observer of item bodies (lib/engine/item-probe.ts), null outside `testJob()` */
  probe: ItemProbe | null = null;
  /** the error that ended `concurrently()` and the index of its item (for lastFailure) */
  concurrentFailure: { error: unknown; index: number } | null = null;
  /** the job's `signal` option, for `currentSignal()` (see policy/job-try.ts) */
  signal: AbortSignal | null = null;
  /** set when the signal was aborted: no further item starts (see policy/job-try.ts) */
  halted: { reason: unknown } | null = null;
  // the key computed by the last isDone() call, reused by begin() for the same item
  private lastKeyIndex = -1;
  private lastKeyItem: unknown = undefined;
  private lastKey: ItemKey | undefined = undefined;

  constructor(
    readonly name: string,
    readonly backend: StateBackend,
    readonly doc: CheckpointDoc,
    readonly writer: ProgressWriter,
    readonly logger: SafeStateLogger | null,
    readonly keyFn: ((item: any, index: number) => ItemKey) | undefined,
    readonly storeResults: boolean,
    readonly manual: boolean,
    readonly lock: BackendLock,
  ) {}

  /** The key of the item in flight (with the `key` option), else undefined. */
  get inFlightItemKey(): ItemKey | undefined {
    return this.inFlightKey;
  }

  /** items whose completion committed with their transaction (exactly-once), until the body moves on */
  private readonly committed = new Set<number>();

  /** Marks an item done in memory only (its completion is durable elsewhere: a committed record). */
  markCommitted(index: number, key: ItemKey | undefined): void {
    if (this.keyFn) this.doc.keys!.markDone(key!);
    else this.doc.progress.markDone(index);
    this.committed.add(index);
  }

  /**
   * Whether a save is due now that item `index` is done. An item whose completion committed with
   * its transaction needs none of its own (its record is durable and the next run folds it in),
   * unless something else waits to be written (state, fingerprints, a whole rewrite).
   */
  private saveDueFor(index: number): boolean {
    if (this.committed.size !== 0 && this.committed.delete(index) && !this.writer.hasOtherThanProgress) return false;
    return this.writer.due();
  }

  /** Key of an item (the `key` option), validated. */
  keyOf(item: unknown, index: number): ItemKey {
    const k = this.keyFn!(item, index);
    if ((typeof k !== 'string' && typeof k !== 'number') || (typeof k === 'number' && !Number.isFinite(k))) {
      throw new InvalidOptionsError('key', `key: the key function returned ${typeof k} for item ${index}; it must return a string or a finite number`);
    }
    return k;
  }

  /** Whether item `index` (value `item`) is done. */
  isDone(index: number, item: unknown): boolean {
    if (!this.keyFn) return this.doc.progress.isDone(index);
    const k = this.keyOf(item, index);
    this.lastKeyIndex = index;
    this.lastKeyItem = item;
    this.lastKey = k;
    return this.doc.keys!.isDone(k);
  }

  /** Key of item `index`, reusing the one the last {@link JobRun.isDone} computed for it. */
  keyAt(index: number, item: unknown): ItemKey {
    if (index === this.lastKeyIndex && item === this.lastKeyItem) {
      this.lastKeyIndex = -1;
      this.lastKeyItem = undefined;
      return this.lastKey!;
    }
    return this.keyOf(item, index);
  }

  /**
   * Checks an input item against the fingerprint of the run that wrote the checkpoint (for the
   * first items that are done) and records hashes of items not seen before.
   */
  checkFingerprint(index: number, item: unknown): void {
    if (index >= FINGERPRINT_ITEMS || this.keyFn) return;
    const stored = this.doc.fingerprint[index];
    if (stored != null && !this.doc.progress.isDone(index)) return;
    const h = itemHash(item);
    if (stored != null) {
      if (stored !== h) throw new InputChangedError(this.name, `item ${index} differs from the one processed before`);
      return;
    }
    this.doc.fingerprint[index] = h;
    this.writer.queueRecord(`f${index} ${h}\n`);
  }

  /** An iterator was closed (break, throw, destructuring): its item in flight is not done by that. */
  private closed = false;

  /** Called by a tracked iterator's `return()`. The in-flight index is kept for the failure record. */
  iterationClosed(): void {
    if (this.inFlight >= 0) this.closed = true;
  }

  /** An item is handed to the body. */
  begin(index: number, item: unknown): void {
    if (this.concurrentItems) throw new TypeError(`safe-state job '${this.name}': the job's input is being processed by concurrently(); it cannot be iterated again until concurrently() has finished`);
    this.closed = false;
    if (!this.iterated) this.iterated = true;
    if (!this.reportedSkips) this.reportSkips();
    this.inFlight = index;
    if (this.keyFn) this.inFlightKey = this.keyAt(index, item);
    noteItemStart(this, index);
    phaseHook?.('B');
    if (this.probe !== null) this.probe.started(index, this.inFlightKey);
  }

  /** The body reached the end of the input: it did iterate it, even when it was empty. */
  reachedEnd(): void {
    this.iterated = true;
    this.reportSkips();
  }

  /** Prints the verbose "skipped N done items" line once. */
  reportSkips(): void {
    if (this.reportedSkips) return;
    this.reportedSkips = true;
    if (this.skipped > 0) this.logger?.info(`skipped ${this.skipped} done items`);
  }

  /** Marks the item in flight done (no save); true when a save is due. */
  markInFlight(): boolean {
    if (this.inFlight < 0) return false;
    if (this.probe !== null) this.probe.finished(this.inFlight, this.inFlightKey);
    if (this.keyFn) this.doc.keys!.markDone(this.inFlightKey!);
    else this.doc.progress.markDone(this.inFlight);
    publishItemDone(this, this.inFlight, this.inFlightKey);
    const index = this.inFlight;
    this.inFlight = -1;
    this.inFlightKey = undefined;
    return this.saveDueFor(index);
  }

  /** whether a sync iteration step was taken (see ProgressWriter.enterSyncLoop) */
  private syncLoop = false;

  /** The body asked for the next item (sync iteration): the one in flight is done. */
  finishSync(): void {
    if (!this.syncLoop) {
      this.writer.enterSyncLoop(); // may refuse (syncLoop: 'refuse'): then again at the next step
      this.syncLoop = true;
    }
    if (this.closed) return this.abandon();
    if (this.markInFlight()) this.writer.flushSync();
  }

  /**
   * The body asked for the next item (async iteration): the one in flight is done, durably.
   * Answers `undefined` when that is so already (no save due, or a backend that writes
   * synchronously has written it), else the promise of the save: the hot path of a `for await`
   * then creates no promise of its own.
   */
  finishAsync(): Promise<void> | undefined {
    if (this.closed) return this.abandon();
    if (!this.markInFlight()) return undefined;
    if (this.writer.sync) {
      this.writer.flushSync();
      return undefined;
    }
    return this.writer.flush();
  }

  /**
   * Marks one item done that `concurrently()` processed (no save); true when a save is due.
   * @param key - the item's key with the `key` option
   */
  markConcurrent(index: number, key: ItemKey | undefined): boolean {
    if (this.probe !== null) this.probe.finished(index, key);
    if (this.keyFn) this.doc.keys!.markDone(key!);
    else this.doc.progress.markDone(index);
    publishItemDone(this, index, key);
    return this.saveDueFor(index);
  }

  /**
   * Where a run that ended with `error` failed (`lastFailure.index`): the item whose callback threw
   * it in `concurrently()`, else the item in flight (the lowest one in flight in `concurrently()`,
   * for an interruption), or -1 when none.
   */
  failureIndex(error?: unknown): number {
    const cf = this.concurrentFailure;
    if (cf && error !== undefined && cf.error === error) return cf.index;
    if (this.inFlight >= 0) return this.inFlight;
    let low = -1;
    if (this.concurrentItems) for (const i of this.concurrentItems) if (low < 0 || i < low) low = i;
    return low;
  }

  /**
   * Before `concurrently()` takes over the input: an item of a loop that was left (break) stays
   * undone; one still in flight (called inside a loop over the input) is refused.
   */
  enterConcurrent(): Set<number> {
    if (this.concurrentItems) throw new TypeError(`safe-state job '${this.name}': concurrently() is already running over the job's input`);
    if (this.inFlight >= 0) {
      if (!this.closed) throw new TypeError(`safe-state job '${this.name}': concurrently() cannot run inside a loop over the job's input (item ${this.inFlight} is in flight); use it instead of the loop`);
      this.abandon();
    }
    this.concurrentFailure = null;
    return (this.concurrentItems = new Set());
  }

  /** `concurrently()` ended. */
  leaveConcurrent(): void {
    this.concurrentItems = null;
  }

  /** The item in flight was abandoned (iteration stopped): it stays undone. */
  abandon(): undefined {
    if (this.inFlight >= 0) this.committed.delete(this.inFlight);
    this.closed = false;
    this.inFlight = -1;
    this.inFlightKey = undefined;
    return undefined;
  }

  /** The result key of the item in flight, or null when none is. */
  resultKey(): string | null {
    if (this.inFlight < 0) return null;
    return JSON.stringify(this.keyFn ? this.inFlightKey : this.inFlight);
  }
}
