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

/** Calls `each(a, b)` for every range `a..b` (inclusive) of a ranges text; throws on malformed text. @internal */
export function parseRanges(text: string, each: (a: number, b: number) => void): void {
  if (text === '') return;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`malformed index range '${part}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || !Number.isSafeInteger(b)) throw new Error(`malformed index range '${part}'`);
    each(a, b);
  }
}
