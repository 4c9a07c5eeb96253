import { formatRanges, parseRanges } from './ranges';

/** An item identity for the `key` option. */
export type ItemKey = string | number;

/** Whether a key is stored in the ranges part of a snapshot (a non-negative safe integer). */
const isIndexLike = (k: ItemKey): k is number => typeof k === 'number' && Number.isSafeInteger(k) && k >= 0;

/**
 * Done item identities, for jobs with the `key` option: a set of keys, with the keys marked since
 * the last save kept apart so a save writes only them. The snapshot form is compact: non-negative
 * integer keys as sorted ranges (`1-500000,500002`), the other keys as a JSON array.
 * @internal
 */
export class KeyProgress {
  readonly keys = new Set<ItemKey>();
  private pending: ItemKey[] = [];

  isDone(key: ItemKey): boolean {
    return this.keys.has(key);
  }

  get size(): number {
    return this.keys.size;
  }

  markDone(key: ItemKey): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.pending.push(key);
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
      this.keys.add(k);
    }
  }

  /** Applies the ranges text of integer keys (a snapshot's `kn`). */
  applyRanges(text: string): void {
    parseRanges(text, (a, b) => {
      for (let k = a; k <= b; k++) this.keys.add(k);
    });
  }

  /**
   * Snapshot form: `kn`, the non-negative integer keys as a ranges text (sorted), and `keys`, every
   * other key (strings, negative or fractional numbers) in insertion order.
   */
  toSnapshot(): { kn: string; keys: ItemKey[] } {
    const ints = new Float64Array(this.keys.size);
    let n = 0;
    const rest: ItemKey[] = [];
    for (const k of this.keys) {
      if (isIndexLike(k)) ints[n++] = k;
      else rest.push(k);
    }
    return { kn: formatRanges(ints.subarray(0, n).sort()), keys: rest };
  }
}
