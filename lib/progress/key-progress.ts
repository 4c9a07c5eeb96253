import { RangeList } from './range-list';
import { parseRangePairs } from './ranges';
import { DoneKeys } from './done-keys';

/**
 * An item identity for the `key` option: what a job resumes by instead of the item's position.
 *
 * @example
 * ```ts
 * @SafeState({ name: 'welcome-emails', key: (user: User): ItemKey => user.id })
 * async run(users: User[]) { ... }
 * ```
 */
export type ItemKey = string | number;

/**
 * Most done keys a keyed job keeps in its JavaScript `Set` (which holds at most 2^24): the keys
 * that are not non-negative integers, plus the integer keys marked since the last snapshot. A run
 * or a checkpoint that would need more fails with a clear error (docs/security.md,
 * docs/resume.md). Integer keys are folded into ranges at every snapshot and loaded as ranges, so
 * they do not count.
 * @internal
 */
export const MAX_KEYS = 16_000_000;

const tooMany = (what: string) => new Error(`${what} more than ${MAX_KEYS} done keys that are not non-negative integers (the limit of the key option)`);

/** Whether a key is stored in the ranges part of a snapshot (a non-negative safe integer). */
const isIndexLike = (k: ItemKey): k is number => typeof k === 'number' && Number.isSafeInteger(k) && k >= 0;

/**
 * Done item identities, for jobs with the `key` option.
 *
 * Non-negative integer keys are kept as a sorted {@link RangeList} (as of the last snapshot, or as
 * loaded) plus the ones marked since, which wait in a `Set`; every other key (strings, negative or
 * fractional numbers) is in the `Set`, remembered in insertion order for the snapshot. Membership
 * is a set lookup or a binary search, the count is O(1), and a loaded `kn` range such as
 * `0-15999999` takes two numbers of memory. The snapshot form: `kn`, the integer keys as sorted
 * ranges (`1-500000,500002`), and `keys`, the other keys as a JSON array. A job over ascending
 * integer ids therefore snapshots a million keys in O(1) space.
 * @internal
 */
export class KeyProgress {
  /** other keys, and integer keys marked since the last snapshot (disjoint from `ranges`) */
  private readonly set = new Set<ItemKey>();
  /** integer keys as of the last snapshot (or as loaded) */
  private ranges = new RangeList();
  /** integer keys added to `set` since the last snapshot */
  private addedInts: number[] = [];
  /** keys that are not integer keys, in insertion order */
  private rest: ItemKey[] = [];
  /** a key of `rest` was removed: `rest` is rebuilt at the next snapshot */
  private restDirty = false;
  private pending: ItemKey[] = [];
  /** integer keys read while loading, as [a, b] pairs: folded into `ranges` by endLoad */
  private loading: number[] | null = null;

  isDone(key: ItemKey): boolean {
    return this.set.has(key) || (this.ranges.size !== 0 && isIndexLike(key) && this.ranges.has(key));
  }

  /** Number of done keys (O(1)). */
  get size(): number {
    return this.set.size + this.ranges.size;
  }

  /** A read-only view of the done keys (nothing is copied: integer keys stay ranges). */
  get keys(): DoneKeys {
    return new DoneKeys(this);
  }

  markDone(key: ItemKey): boolean {
    if (!this.insert(key)) return false;
    this.pending.push(key);
    return true;
  }

  private insert(key: ItemKey): boolean {
    if (this.isDone(key)) return false;
    if (this.set.size >= MAX_KEYS) throw tooMany('the job would have');
    this.set.add(key);
    if (isIndexLike(key)) this.addedInts.push(key);
    else this.rest.push(key);
    return true;
  }

  /**
   * Marks a key not done again (the CLI's `reset`); returns whether it was done.
   */
  markUndone(key: ItemKey): boolean {
    if (this.set.delete(key)) {
      if (!isIndexLike(key)) this.restDirty = true;
      return true;
    }
    return isIndexLike(key) && this.ranges.remove(key, key) === 1;
  }

  get hasPending(): boolean {
    return this.pending.length !== 0;
  }

  /** The keys marked since the last call, as JSON text (`''` when none). */
  takeDelta(): string {
    if (this.pending.length === 0) return '';
    const t = JSON.stringify(this.pending);
    this.pending = [];
    return t;
  }

  clearPending(): void {
    this.pending = [];
  }

  /** Starts loading a checkpoint: integer keys are gathered as ranges until {@link KeyProgress.endLoad}. */
  beginLoad(): void {
    this.loading ??= [];
  }

  /** Ends loading: the gathered integer keys become ranges (O(r log r) for r ranges and keys). */
  endLoad(): void {
    const pairs = this.loading;
    this.loading = null;
    if (!pairs || pairs.length === 0) return;
    this.ranges.forEachRange((a, b) => pairs.push(a, b));
    this.ranges = RangeList.fromPairs(pairs);
    for (const k of this.addedInts) if (this.ranges.has(k)) this.set.delete(k);
    this.addedInts = this.addedInts.filter((k) => this.set.has(k));
  }

  /** Applies a JSON array of keys (a delta record or a snapshot). */
  applyKeys(text: string): void {
    this.addAll(JSON.parse(text) as unknown);
  }

  /** Adds a parsed list of keys (a delta record's or a snapshot's). */
  addAll(arr: unknown): void {
    if (!Array.isArray(arr)) throw new Error('key list is not an array');
    for (const k of arr) {
      if (typeof k !== 'string' && typeof k !== 'number') throw new Error('a key is neither string nor number');
      if (typeof k === 'number' && !Number.isFinite(k)) throw new Error('a key is not a finite number');
      if (this.loading && isIndexLike(k)) this.loading.push(k, k);
      else this.insert(k);
    }
  }

  /**
   * Applies the ranges text of integer keys (a snapshot's `kn`, ascending without overlaps).
   * Throws `RangesError`.
   */
  applyRanges(text: string): void {
    const pairs = parseRangePairs(text, true);
    if (this.loading) {
      for (const v of pairs) this.loading.push(v);
      return;
    }
    for (let k = 0; k < pairs.length; k += 2) {
      this.ranges.add(pairs[k], pairs[k + 1]);
      for (let i = 0; i < this.addedInts.length; i++) {
        const v = this.addedInts[i];
        if (v >= pairs[k] && v <= pairs[k + 1]) this.set.delete(v);
      }
    }
    this.addedInts = this.addedInts.filter((v) => this.set.has(v));
  }

  /** Folds the integer keys added since the last snapshot into the sorted ranges. */
  private mergeAdded(): void {
    if (this.addedInts.length !== 0) {
      const added = this.addedInts.filter((k) => this.set.has(k)).sort((x, y) => x - y);
      this.ranges = this.ranges.union(added);
      for (const k of added) this.set.delete(k);
      this.addedInts = [];
    }
    if (this.restDirty) {
      this.restDirty = false;
      this.rest = [...this.set];
    }
  }

  /** Calls `each(a, b)` for every range of done integer keys, ascending. */
  forEachIntRange(each: (a: number, b: number) => void): void {
    this.mergeAdded();
    this.ranges.forEachRange(each);
  }

  /** The done keys that are not non-negative integers, in insertion order. */
  otherKeys(): readonly ItemKey[] {
    this.mergeAdded();
    return this.rest;
  }

  /** Iterates every done key: the other keys first (insertion order), then the integer keys ascending. */
  *values(): IterableIterator<ItemKey> {
    this.mergeAdded();
    yield* this.rest.slice();
    yield* this.ranges.clone().values();
  }

  /**
   * Snapshot form: `kn`, the non-negative integer keys as a ranges text (sorted), and `keys`, every
   * other key (strings, negative or fractional numbers) in insertion order.
   */
  toSnapshot(): { kn: string; keys: readonly ItemKey[] } {
    this.mergeAdded();
    return { kn: this.ranges.text(), keys: this.rest };
  }

  /** An independent copy without pending marks. */
  clone(): KeyProgress {
    this.mergeAdded();
    const c = new KeyProgress();
    c.ranges = this.ranges.clone();
    for (const k of this.rest) c.set.add(k);
    c.rest = this.rest.slice();
    return c;
  }
}
