import type { ItemKey } from '../progress/key-progress';
import { formatRanges, parseRangePairs } from '../progress/ranges';

/**
 * One item that failed with `onItemError: 'skip'` (an entry of {@link FailedItems.details} and of
 * `JobFailuresError.failedItems`).
 *
 * @example
 * ```ts
 * for (const f of (await job.peekCheckpoint())!.failedItems.details) console.log(f.index, f.name, f.message, f.tries);
 * ```
 */
export interface FailedItem {
  /** Index of the item (its position in the input of the run that failed it). */
  index: number;
  /** The item's key, for jobs with the `key` option. */
  key?: ItemKey;
  /** Error name. */
  name: string;
  /** Error message. */
  message: string;
  /** Tries the item had (1 without `retry`). */
  tries: number;
  /** When its last try failed (ISO 8601). */
  at: string;
}

/** Details kept at most (the first failures); the count and the item set are always complete. @internal */
export const MAX_FAILED_DETAILS = 100;
/**
 * Failed index ranges (or keys) a checkpoint holds at most. The record stays bounded: a failure
 * that would need more stops the job as `onItemError: 'stop'` would (docs/failures.md).
 * @internal
 */
export const MAX_FAILED_ENTRIES = 10_000;
/** Characters of a stored error message at most. @internal */
const MAX_MESSAGE = 500;

/**
 * The failed items of a job (`onItemError: 'skip'`), in memory: which items (index ranges, or
 * keys with the `key` option), how many, and the details of the first ones. The items are also
 * marked done in the progress record while the call that failed them goes on; the next call marks
 * them not done again (see policy/item-failures.ts).
 * @internal
 */
export class FailedRecord {
  /** sorted, disjoint, non-adjacent inclusive ranges (positional jobs) */
  ranges: [number, number][] = [];
  /** failed keys (jobs with `key`) */
  keys: ItemKey[] | null;
  count = 0;
  details: FailedItem[] = [];

  constructor(keyed: boolean) {
    this.keys = keyed ? [] : null;
  }

  /** Whether one more failure fits in the bounded record. */
  hasRoom(): boolean {
    return (this.keys ? this.keys.length : this.ranges.length) < MAX_FAILED_ENTRIES;
  }

  /** Records a failed item (not one already recorded). */
  add(item: FailedItem): void {
    if (this.keys) this.keys.push(item.key!);
    else addIndex(this.ranges, item.index);
    this.count++;
    if (this.details.length < MAX_FAILED_DETAILS) {
      this.details.push({ ...item, message: item.message.length > MAX_MESSAGE ? item.message.slice(0, MAX_MESSAGE) + '…' : item.message });
    }
  }

  /** The snapshot field `failed` (docs/format.md). */
  toJSON(): FailedJson {
    const out: FailedJson = { n: this.count, d: this.details };
    if (this.keys) out.k = this.keys;
    else out.r = formatRanges(indicesOf(this.ranges));
    return out;
  }

  /** Reads the snapshot field back; throws a plain Error on anything malformed. */
  static fromJSON(j: unknown, keyed: boolean): FailedRecord {
    const o = j as Partial<FailedJson> | null;
    if (typeof o !== 'object' || o === null || !Number.isSafeInteger(o.n) || o.n! < 0 || !Array.isArray(o.d) || o.d.length > MAX_FAILED_DETAILS) {
      throw new Error('malformed failed items');
    }
    const rec = new FailedRecord(keyed);
    rec.count = o.n!;
    if (keyed) {
      if (!Array.isArray(o.k) || o.k.length > MAX_FAILED_ENTRIES || !o.k.every(isKey)) throw new Error('malformed failed keys');
      rec.keys = o.k.slice();
    } else {
      if (typeof o.r !== 'string') throw new Error('malformed failed ranges');
      const pairs = parseRangePairs(o.r, true);
      if (pairs.length / 2 > MAX_FAILED_ENTRIES) throw new Error('too many failed ranges');
      for (let i = 0; i < pairs.length; i += 2) rec.ranges.push([pairs[i], pairs[i + 1]]);
    }
    for (const d of o.d) {
      const x = d as unknown as Record<string, unknown>;
      if (typeof x !== 'object' || x === null || !Number.isSafeInteger(x.index) || typeof x.name !== 'string' || typeof x.message !== 'string' ||
        !Number.isSafeInteger(x.tries) || typeof x.at !== 'string' || (x.key !== undefined && !isKey(x.key))) {
        throw new Error('malformed failed item details');
      }
      rec.details.push(d);
    }
    return rec;
  }
}

/** The snapshot field `failed`: `n` count, `r` index ranges or `k` keys, `d` details of the first ones. @internal */
export interface FailedJson {
  n: number;
  r?: string;
  k?: ItemKey[];
  d: FailedItem[];
}

function isKey(k: unknown): k is ItemKey {
  return typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k));
}

function* indicesOf(ranges: [number, number][]): Generator<number> {
  for (const [a, b] of ranges) for (let i = a; i <= b; i++) yield i;
}

/** Adds `i` to sorted disjoint ranges, joining neighbours (O(1) for ascending failures). */
function addIndex(ranges: [number, number][], i: number): void {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid][1] < i) lo = mid + 1;
    else hi = mid;
  }
  // ranges[lo] is the first range ending at or after i
  const next = ranges[lo];
  if (next && next[0] <= i) return; // already in
  const prev = lo > 0 ? ranges[lo - 1] : undefined;
  const joinsPrev = prev !== undefined && prev[1] === i - 1;
  const joinsNext = next !== undefined && next[0] === i + 1;
  if (joinsPrev && joinsNext) {
    prev[1] = next[1];
    ranges.splice(lo, 1);
  } else if (joinsPrev) prev[1] = i;
  else if (joinsNext) next[0] = i;
  else ranges.splice(lo, 0, [i, i]);
}
