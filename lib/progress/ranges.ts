/**
 * Compact text form of a set of non-negative integers: sorted ranges `a-b` or single values,
 * comma-separated (`0-9999,10002,10005-10010`).
 * @internal
 */
export function formatRanges(sorted: Iterable<number>): string {
  let out = '';
  let start = -1;
  let end = -2;
  for (const i of sorted) {
    if (i === end + 1) {
      end = i;
      continue;
    }
    if (start >= 0) out += (out ? ',' : '') + (start === end ? `${start}` : `${start}-${end}`);
    start = end = i;
  }
  if (start >= 0) out += (out ? ',' : '') + (start === end ? `${start}` : `${start}-${end}`);
  return out;
}

/** A ranges text that breaks the rules of {@link parseRangePairs}. @internal */
export class RangesError extends Error {}

const short = (part: string) => (part.length > 60 ? `${part.slice(0, 60)}…` : part);

/**
 * Parses a ranges text into `[a0, b0, a1, b1, …]` pairs (inclusive). Every part is `a` or `a-b` in
 * decimal digits, with `a <= b <= Number.MAX_SAFE_INTEGER` (so no negative, fractional or
 * out-of-range index). With `sorted`, the ranges must also ascend without overlapping (a snapshot
 * is written that way); without it (a progress record lists ranges in completion order) any order
 * is accepted. Work and memory are proportional to the text's length, never to the numbers in it.
 * Throws {@link RangesError} naming the offending part.
 * @internal
 */
export function parseRangePairs(text: string, sorted: boolean): number[] {
  const pairs: number[] = [];
  if (text === '') return pairs;
  let prevEnd = -1;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new RangesError(`malformed index range '${short(part)}' (expected a or a-b, non-negative integers)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) {
      throw new RangesError(`the index range '${short(part)}' goes beyond Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER})`);
    }
    if (b < a) throw new RangesError(`the index range '${short(part)}' runs backwards`);
    if (sorted && pairs.length !== 0 && a <= prevEnd) {
      throw new RangesError(`the index range '${short(part)}' overlaps or precedes the range before it (ranges must ascend without overlapping)`);
    }
    prevEnd = b;
    pairs.push(a, b);
  }
  return pairs;
}
