import { RangeList } from './range-list';
import { parseRangePairs, RangesError } from './ranges';

/**
 * Which item indices are done: a watermark (every index below it is done), the done indices above
 * it as a {@link RangeList} (what a checkpoint listed, and what earlier snapshots folded in), and
 * the indices this run marked out of order since the last snapshot (`loose`, about as many as the
 * concurrency limit). A sequential job's record is O(1) whatever the number of items done, and a
 * loaded record takes memory and work proportional to its number of ranges, never to the numbers
 * inside them: `+5-15999990` is one range.
 *
 * The hot path stays O(1) amortized: marking the watermark's index done advances it (swallowing
 * the next range or loose index when it touches), and {@link IndexProgress.nextUndone} jumps over a
 * whole done range at once. Pure data, no I/O. Marks since the last
 * {@link IndexProgress.takeDelta} are kept as ranges text so a save writes only them.
 * @internal
 */
export class IndexProgress {
  /** every index below is done */
  watermark = 0;
  /** done indices above the watermark, as ranges (disjoint from `loose`; none starts at the watermark) */
  private ranges = new RangeList();
  /** done indices above the watermark marked out of order since the last snapshot */
  private readonly loose = new Set<number>();
  // marks since the last takeDelta: finished ranges plus the open run [runStart, runEnd]
  private pendingText = '';
  private runStart = -1;
  private runEnd = -2;

  isDone(i: number): boolean {
    return i < this.watermark || (this.loose.size !== 0 && this.loose.has(i)) || (this.ranges.size !== 0 && this.ranges.has(i));
  }

  /** Number of done indices (O(1)). */
  get size(): number {
    return this.watermark + this.loose.size + this.ranges.size;
  }

  /** Number of done indices above the watermark. */
  get aboveWatermark(): number {
    return this.loose.size + this.ranges.size;
  }

  /** The largest done index, or -1 when none is. */
  lastDone(): number {
    let m = Math.max(this.watermark - 1, this.ranges.last());
    if (this.loose.size !== 0) for (const i of this.loose) if (i > m) m = i;
    return m;
  }

  /** Moves the watermark over the done indices that now touch it. */
  private advance(): void {
    for (;;) {
      if (this.loose.size !== 0 && this.loose.delete(this.watermark)) this.watermark++;
      else if (this.ranges.first() === this.watermark) this.watermark = this.ranges.shift() + 1;
      else return;
    }
  }

  /** Marks an index done (O(1) amortized); returns false when it already was. */
  markDone(i: number): boolean {
    if (i === this.watermark) {
      this.watermark++;
      if (this.loose.size !== 0 || this.ranges.size !== 0) this.advance();
    } else if (i > this.watermark) {
      if (this.isDone(i)) return false;
      this.loose.add(i);
    } else return false;
    if (i === this.runEnd + 1) this.runEnd = i;
    else {
      this.flushRun();
      this.runStart = this.runEnd = i;
    }
    return true;
  }

  private flushRun(): void {
    if (this.runStart < 0) return;
    const r = this.runStart === this.runEnd ? `${this.runStart}` : `${this.runStart}-${this.runEnd}`;
    this.pendingText = this.pendingText ? `${this.pendingText},${r}` : r;
    this.runStart = -1;
    this.runEnd = -2;
  }

  /** Whether marks are waiting for a save. */
  get hasPending(): boolean {
    return this.runStart >= 0 || this.pendingText !== '';
  }

  /** The marks since the last call, as ranges text (`''` when none). */
  takeDelta(): string {
    this.flushRun();
    const t = this.pendingText;
    this.pendingText = '';
    return t;
  }

  /** Forgets pending marks (they are covered by a full snapshot). */
  clearPending(): void {
    this.pendingText = '';
    this.runStart = -1;
    this.runEnd = -2;
  }

  /**
   * Marks the indices `a..b` (inclusive) not done again (the CLI's `reset`); returns how many of
   * them were done. Done indices between `b` and the old watermark become a range, so the record
   * stays exact; the next run redoes `a..b` and the watermark catches up as it does. O(ranges).
   */
  markUndone(a: number, b: number): number {
    let removed = 0;
    if (b >= this.watermark) {
      const lo = Math.max(a, this.watermark);
      if (this.loose.size !== 0) {
        if (b - lo + 1 < this.loose.size) {
          for (let i = lo; i <= b; i++) if (this.loose.delete(i)) removed++;
        } else {
          for (const i of this.loose) if (i >= lo && i <= b && this.loose.delete(i)) removed++;
        }
      }
      removed += this.ranges.remove(lo, b);
    }
    if (a < this.watermark) {
      const end = Math.min(b, this.watermark - 1);
      removed += end - a + 1;
      if (end + 1 <= this.watermark - 1) this.ranges.add(end + 1, this.watermark - 1);
      this.watermark = a;
    }
    return removed;
  }

  /** The first index at or after `from` that is not done: jumps over whole done ranges. */
  nextUndone(from: number): number {
    let i = from < this.watermark ? this.watermark : from;
    if (this.loose.size === 0 && this.ranges.size === 0) return i;
    for (;;) {
      if (this.loose.size !== 0 && this.loose.has(i)) {
        i++;
        continue;
      }
      const end = this.ranges.size !== 0 ? this.ranges.endOf(i) : -1;
      if (end < 0) return i;
      i = end + 1;
    }
  }

  /**
   * Loads a snapshot's progress: the watermark `w` and the ranges text `s` above it, which must
   * ascend without overlapping and lie above the watermark. Throws {@link RangesError}.
   */
  loadSnapshot(w: number, s: string): void {
    const pairs = parseRangePairs(s, true);
    if (pairs.length !== 0 && pairs[0] < w) {
      throw new RangesError(`the done range starting at ${pairs[0]} lies below the watermark ${w} (every index below it is done already)`);
    }
    this.watermark = w;
    this.ranges = RangeList.fromPairs(pairs);
    this.loose.clear();
    this.advance();
  }

  /**
   * Adds done ranges read from progress records, as `[a0, b0, …]` pairs in any order (their union
   * with what is done): O(r log r) for r ranges in all, however many indices they name.
   */
  addLoaded(pairs: readonly number[]): void {
    if (pairs.length === 0) return;
    const all: number[] = [];
    this.ranges.forEachRange((a, b) => all.push(a, b));
    for (const i of this.loose) all.push(i, i);
    for (let k = 0; k < pairs.length; k += 2) {
      if (pairs[k + 1] < this.watermark) continue;
      all.push(Math.max(pairs[k], this.watermark), pairs[k + 1]);
    }
    this.ranges = RangeList.fromPairs(all);
    this.loose.clear();
    this.advance();
  }

  /** Applies a ranges text (a progress record's, in any order). Throws {@link RangesError}. */
  applyRanges(text: string): void {
    this.addLoaded(parseRangePairs(text, false));
  }

  /** Folds the loose indices into the ranges (O(ranges + loose · log loose)). */
  private fold(): void {
    if (this.loose.size === 0) return;
    const sorted = [...this.loose].sort((x, y) => x - y);
    this.ranges = this.ranges.union(sorted);
    this.loose.clear();
  }

  /** Snapshot form: `{ w, s }` with the done indices above the watermark as ranges text. */
  toJSON(): { w: number; s: string } {
    this.fold();
    return { w: this.watermark, s: this.ranges.text() };
  }

  /** Calls `each(a, b)` for every done range above the watermark, ascending. */
  forEachRangeAbove(each: (a: number, b: number) => void): void {
    this.fold();
    this.ranges.forEachRange(each);
  }

  /** Iterates the done indices in ascending order, lazily. */
  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.watermark; i++) yield i;
    this.fold();
    yield* this.ranges.values();
  }

  /** Copy of this record without pending marks (O(ranges + loose)). */
  clone(): IndexProgress {
    const c = new IndexProgress();
    c.watermark = this.watermark;
    this.fold();
    c.ranges = this.ranges.clone();
    return c;
  }
}

export { RangesError };
