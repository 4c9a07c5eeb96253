import { formatRanges, parseRanges } from './ranges';

/**
 * Most done indices kept above the watermark (a JavaScript Set holds at most 2^24): a progress
 * record asking for more is refused before anything is allocated (docs/security.md).
 * @internal
 */
export const MAX_SPARSE = 16_000_000;

/**
 * Which item indices are done: a watermark (every index below it is done) plus a sparse set of
 * done indices above it. A sequential job's record is O(1) whatever the number of items done; out
 * of order completions (concurrently) keep the sparse set about as large as the concurrency limit.
 * Pure data, no I/O. Marks since the last {@link IndexProgress.takeDelta} are kept as ranges so a
 * save writes only them.
 * @internal
 */
export class IndexProgress {
  /** every index below is done */
  watermark = 0;
  /** done indices above the watermark */
  readonly sparse = new Set<number>();
  // marks since the last takeDelta: finished ranges plus the open run [runStart, runEnd]
  private pendingText = '';
  private runStart = -1;
  private runEnd = -2;

  isDone(i: number): boolean {
    return i < this.watermark || (this.sparse.size !== 0 && this.sparse.has(i));
  }

  /** Number of done indices. */
  get size(): number {
    return this.watermark + this.sparse.size;
  }

  /** Marks an index done (O(1) amortized); returns false when it already was. */
  markDone(i: number): boolean {
    if (i === this.watermark) {
      this.watermark++;
      if (this.sparse.size !== 0) while (this.sparse.delete(this.watermark)) this.watermark++;
    } else if (i > this.watermark) {
      if (this.sparse.has(i)) return false;
      this.sparse.add(i);
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
   * them were done. Done indices between `a` and the old watermark move to the sparse set, so the
   * record stays exact; the next run redoes `a..b` and the watermark catches up as it does.
   */
  markUndone(a: number, b: number): number {
    let removed = 0;
    if (b >= this.watermark && this.sparse.size !== 0) {
      const lo = Math.max(a, this.watermark);
      if (b - lo + 1 < this.sparse.size) {
        for (let i = lo; i <= b; i++) if (this.sparse.delete(i)) removed++;
      } else {
        for (const i of this.sparse) if (i >= lo && i <= b && this.sparse.delete(i)) removed++;
      }
    }
    if (a < this.watermark) {
      const end = Math.min(b, this.watermark - 1);
      removed += end - a + 1;
      for (let i = end + 1; i < this.watermark; i++) this.sparse.add(i);
      this.watermark = a;
    }
    return removed;
  }

  /** The first index at or after `from` that is not done. */
  nextUndone(from: number): number {
    let i = from < this.watermark ? this.watermark : from;
    if (this.sparse.size !== 0) while (this.sparse.has(i)) i++;
    return i;
  }

  /**
   * Applies a ranges text (from a delta record or a snapshot's sparse part). A text that would put
   * more than {@link MAX_SPARSE} indices above the watermark throws before allocating them.
   */
  applyRanges(text: string): void {
    parseRanges(text, (a, b) => {
      if (a <= this.watermark) {
        if (b >= this.watermark) this.watermark = b + 1;
      } else {
        if (b - a + 1 > MAX_SPARSE - this.sparse.size) {
          throw new Error(`the progress record lists more than ${MAX_SPARSE} completed items out of order (range ${a}-${b})`);
        }
        for (let i = a; i <= b; i++) this.sparse.add(i);
      }
    });
    for (const i of this.sparse) if (i < this.watermark) this.sparse.delete(i);
    if (this.sparse.size !== 0) while (this.sparse.delete(this.watermark)) this.watermark++;
  }

  /** Snapshot form: `{ w, s }` with the sparse set as ranges text. */
  toJSON(): { w: number; s: string } {
    return { w: this.watermark, s: formatRanges([...this.sparse].sort((a, b) => a - b)) };
  }

  /** Iterates the done indices in ascending order (the watermark part lazily). */
  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.watermark; i++) yield i;
    yield* [...this.sparse].sort((a, b) => a - b);
  }

  /** Copy of this record without pending marks. */
  clone(): IndexProgress {
    const c = new IndexProgress();
    c.watermark = this.watermark;
    for (const i of this.sparse) c.sparse.add(i);
    return c;
  }
}
