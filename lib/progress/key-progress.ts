import { parseRanges } from './ranges';

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
 * Most done keys a keyed job keeps (a JavaScript Set holds at most 2^24): a checkpoint asking for
 * more is refused before anything is allocated, and a run that would complete more fails with a
 * clear error (docs/security.md, docs/resume.md).
 * @internal
 */
export const MAX_KEYS = 16_000_000;

const tooMany = (what: string) => new Error(`${what} more than ${MAX_KEYS} done keys (the limit of the key option)`);

/** Whether a key is stored in the ranges part of a snapshot (a non-negative safe integer). */
const isIndexLike = (k: ItemKey): k is number => typeof k === 'number' && Number.isSafeInteger(k) && k >= 0;

/**
 * Done item identities, for jobs with the `key` option: a set of keys, with the keys marked since
 * the last save kept apart so a save writes only them.
 *
 * The snapshot form is compact: non-negative integer keys as sorted ranges (`1-500000,500002`),
 * the other keys as a JSON array. It is built incrementally, since the engine rewrites it at every
 * compaction: the integer keys are kept as the sorted ranges of the last snapshot plus the keys
 * added since, merged in O(ranges + new · log new); the other keys in insertion order. A job over
 * ascending integer ids therefore snapshots a million keys in O(1) space and time.
 * @internal
 */
export class KeyProgress {
  readonly keys = new Set<ItemKey>();
  private pending: ItemKey[] = [];
  /** integer keys as of the last snapshot: sorted, disjoint, non-adjacent ranges [a0, b0, a1, b1, …] */
  private ranges: number[] = [];
  /** integer keys (and loaded ranges) added since the last snapshot, as [a, b] pairs */
  private added: number[] = [];
  /** every other key, in insertion order */
  private rest: ItemKey[] = [];
  /** a key was removed: the ranges and `rest` are rebuilt from the set at the next snapshot */
  private rebuild = false;

  isDone(key: ItemKey): boolean {
    return this.keys.has(key);
  }

  get size(): number {
    return this.keys.size;
  }

  markDone(key: ItemKey): boolean {
    if (!this.insert(key)) return false;
    this.pending.push(key);
    return true;
  }

  private insert(key: ItemKey): boolean {
    if (this.keys.has(key)) return false;
    if (this.keys.size >= MAX_KEYS) throw tooMany('the job would have');
    this.keys.add(key);
    if (isIndexLike(key)) this.added.push(key, key);
    else this.rest.push(key);
    return true;
  }

  /**
   * Marks a key not done again (the CLI's `reset`); returns whether it was done. The next snapshot
   * is then rebuilt from the set (O(n log n) once) instead of merged.
   */
  markUndone(key: ItemKey): boolean {
    if (!this.keys.delete(key)) return false;
    this.rebuild = true;
    return true;
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
      this.insert(k);
    }
  }

  /** Applies the ranges text of integer keys (a snapshot's `kn`). */
  applyRanges(text: string): void {
    parseRanges(text, (a, b) => {
      if (b - a + 1 > MAX_KEYS - this.keys.size) throw tooMany(`the key range ${a}-${b} makes`);
      for (let k = a; k <= b; k++) this.keys.add(k);
      this.added.push(a, b);
    });
  }

  /** Folds the integer keys added since the last snapshot into the sorted ranges. */
  private mergeAdded(): void {
    if (this.rebuild) {
      this.rebuild = false;
      this.ranges = [];
      this.added = [];
      this.rest = [];
      for (const k of this.keys) {
        if (isIndexLike(k)) this.added.push(k, k);
        else this.rest.push(k);
      }
    }
    if (this.added.length === 0) return;
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < this.added.length; i += 2) pairs.push([this.added[i], this.added[i + 1]]);
    pairs.sort((x, y) => x[0] - y[0]);
    const old = this.ranges;
    const out: number[] = [];
    const push = (a: number, b: number) => {
      const n = out.length;
      if (n !== 0 && a <= out[n - 1] + 1) {
        if (b > out[n - 1]) out[n - 1] = b;
      } else out.push(a, b);
    };
    let i = 0;
    let j = 0;
    while (i < old.length || j < pairs.length) {
      if (j >= pairs.length || (i < old.length && old[i] <= pairs[j][0])) {
        push(old[i], old[i + 1]);
        i += 2;
      } else {
        push(pairs[j][0], pairs[j][1]);
        j++;
      }
    }
    this.ranges = out;
    this.added = [];
  }

  /**
   * Snapshot form: `kn`, the non-negative integer keys as a ranges text (sorted), and `keys`, every
   * other key (strings, negative or fractional numbers) in insertion order.
   */
  toSnapshot(): { kn: string; keys: readonly ItemKey[] } {
    this.mergeAdded();
    const r = this.ranges;
    const parts: string[] = new Array<string>(r.length / 2);
    for (let i = 0; i < r.length; i += 2) parts[i / 2] = r[i] === r[i + 1] ? `${r[i]}` : `${r[i]}-${r[i + 1]}`;
    return { kn: parts.join(','), keys: this.rest };
  }
}
