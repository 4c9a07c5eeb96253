/**
 * A set of non-negative safe integers held as sorted, disjoint, non-adjacent inclusive ranges
 * `[lo, hi]`: membership in O(log r) (binary search over r ranges), the count in O(1), the end of
 * the run holding a member in O(log r), adding at the end in O(1) amortized, and memory that grows
 * with the number of ranges, never with the numbers inside them. `5-15999990` is two numbers here,
 * not sixteen million set entries (docs/security.md).
 * @internal
 */
export class RangeList {
  /** range k is `[lo[k], hi[k]]` for `head <= k < lo.length`; ranges before `head` were shifted off */
  private lo: number[] = [];
  private hi: number[] = [];
  private head = 0;
  private count = 0;

  /**
   * Builds a list from `[a0, b0, a1, b1, …]` pairs in any order, overlapping or not (their
   * union): O(r log r) for r pairs, O(r) when they are already sorted.
   */
  static fromPairs(pairs: readonly number[]): RangeList {
    const out = new RangeList();
    const n = pairs.length >>> 1;
    let sorted = true;
    for (let k = 1; k < n && sorted; k++) if (pairs[2 * k] < pairs[2 * k - 2]) sorted = false;
    if (sorted) {
      for (let k = 0; k < n; k++) out.append(pairs[2 * k], pairs[2 * k + 1]);
      return out;
    }
    const order = new Uint32Array(n);
    for (let k = 0; k < n; k++) order[k] = k;
    const byStart = Array.from(order).sort((x, y) => pairs[2 * x] - pairs[2 * y]);
    for (const k of byStart) out.append(pairs[2 * k], pairs[2 * k + 1]);
    return out;
  }

  /** How many integers the list holds. */
  get size(): number {
    return this.count;
  }

  /** How many ranges the list holds. */
  get rangeCount(): number {
    return this.lo.length - this.head;
  }

  /** The smallest member, or -1 when empty. */
  first(): number {
    return this.head < this.lo.length ? this.lo[this.head] : -1;
  }

  /** The largest member, or -1 when empty. */
  last(): number {
    return this.head < this.lo.length ? this.hi[this.hi.length - 1] : -1;
  }

  /**
   * Adds `[a, b]` where `a` is at least the current smallest start (the sorted-input case of
   * {@link RangeList.fromPairs}): merges with the last range when they overlap or touch.
   */
  private append(a: number, b: number): void {
    const n = this.lo.length;
    if (n > this.head && a <= this.hi[n - 1] + 1) {
      if (b > this.hi[n - 1]) {
        this.count += b - this.hi[n - 1];
        this.hi[n - 1] = b;
      }
      return;
    }
    this.lo.push(a);
    this.hi.push(b);
    this.count += b - a + 1;
  }

  /** Index of the last range whose start is at most `i`, or `head - 1` when none is. */
  private floor(i: number): number {
    let a = this.head;
    let b = this.lo.length - 1;
    let r = this.head - 1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      if (this.lo[m] <= i) {
        r = m;
        a = m + 1;
      } else b = m - 1;
    }
    return r;
  }

  /** The end of the range holding `i`, or -1 when `i` is not a member. */
  endOf(i: number): number {
    const n = this.lo.length;
    if (this.head === n || i < this.lo[this.head] || i > this.hi[n - 1]) return -1;
    const k = this.floor(i);
    return k >= this.head && i <= this.hi[k] ? this.hi[k] : -1;
  }

  /** Whether `i` is a member. */
  has(i: number): boolean {
    return this.endOf(i) !== -1;
  }

  /** Adds `[a, b]` (inclusive, `a <= b`); returns how many of them were not members yet. */
  add(a: number, b: number): number {
    const n = this.lo.length;
    const before = this.count;
    if (n === this.head || a >= this.lo[n - 1]) {
      this.append(a, b); // the common case: at or after the last range
      return this.count - before;
    }
    const s = this.floor(a - 1);
    const k1 = s >= this.head && this.hi[s] >= a - 1 ? s : s + 1;
    const k2 = this.floor(b + 1);
    if (k2 < k1) {
      this.lo.splice(k1, 0, a);
      this.hi.splice(k1, 0, b);
      this.count += b - a + 1;
      return b - a + 1;
    }
    const lo = Math.min(a, this.lo[k1]);
    const hi = Math.max(b, this.hi[k2]);
    let covered = 0;
    for (let k = k1; k <= k2; k++) covered += this.hi[k] - this.lo[k] + 1;
    this.lo.splice(k1, k2 - k1 + 1, lo);
    this.hi.splice(k1, k2 - k1 + 1, hi);
    this.count += hi - lo + 1 - covered;
    return this.count - before;
  }

  /** Removes `[a, b]` (inclusive); returns how many of them were members. */
  remove(a: number, b: number): number {
    if (this.head === this.lo.length || b < this.lo[this.head] || a > this.hi[this.hi.length - 1]) return 0;
    const s = this.floor(a);
    const k1 = s >= this.head && this.hi[s] >= a ? s : s + 1;
    const k2 = this.floor(b);
    if (k2 < k1) return 0;
    const keepLo: number[] = [];
    const keepHi: number[] = [];
    let removed = 0;
    for (let k = k1; k <= k2; k++) removed += this.hi[k] - this.lo[k] + 1;
    if (this.lo[k1] < a) {
      keepLo.push(this.lo[k1]);
      keepHi.push(a - 1);
      removed -= a - this.lo[k1];
    }
    if (this.hi[k2] > b) {
      keepLo.push(b + 1);
      keepHi.push(this.hi[k2]);
      removed -= this.hi[k2] - b;
    }
    this.lo.splice(k1, k2 - k1 + 1, ...keepLo);
    this.hi.splice(k1, k2 - k1 + 1, ...keepHi);
    this.count -= removed;
    return removed;
  }

  /** Removes the first range and returns its end (-1 when empty): O(1) amortized. */
  shift(): number {
    if (this.head === this.lo.length) return -1;
    const end = this.hi[this.head];
    this.count -= end - this.lo[this.head] + 1;
    this.head++;
    if (this.head === this.lo.length) {
      this.lo = [];
      this.hi = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.lo.length) {
      this.lo.splice(0, this.head);
      this.hi.splice(0, this.head);
      this.head = 0;
    }
    return end;
  }

  /**
   * This list joined with `sorted` (ascending integers, duplicates and members allowed), as a new
   * list: O(r + s).
   */
  union(sorted: readonly number[]): RangeList {
    const out = new RangeList();
    let k = this.head;
    let j = 0;
    while (k < this.lo.length || j < sorted.length) {
      if (j >= sorted.length || (k < this.lo.length && this.lo[k] <= sorted[j])) {
        out.append(this.lo[k], this.hi[k]);
        k++;
      } else {
        out.append(sorted[j], sorted[j]);
        j++;
      }
    }
    return out;
  }

  /** Calls `each(lo, hi)` for every range, ascending. */
  forEachRange(each: (lo: number, hi: number) => void): void {
    for (let k = this.head; k < this.lo.length; k++) each(this.lo[k], this.hi[k]);
  }

  /** The members, ascending, one at a time (lazily). */
  *values(): IterableIterator<number> {
    for (let k = this.head; k < this.lo.length; k++) {
      for (let i = this.lo[k], hi = this.hi[k]; i <= hi; i++) yield i;
    }
  }

  /** The ranges text, `0-9,12,15-20` (`''` when empty). */
  text(): string {
    const parts = new Array<string>(this.lo.length - this.head);
    for (let k = this.head; k < this.lo.length; k++) {
      parts[k - this.head] = this.lo[k] === this.hi[k] ? `${this.lo[k]}` : `${this.lo[k]}-${this.hi[k]}`;
    }
    return parts.join(',');
  }

  /** An independent copy. */
  clone(): RangeList {
    const c = new RangeList();
    c.lo = this.lo.slice(this.head);
    c.hi = this.hi.slice(this.head);
    c.count = this.count;
    return c;
  }
}
