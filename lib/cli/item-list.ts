import { UsageError } from './cli-errors';

/**
 * Parses `--items`: comma-separated indices and inclusive ranges, `1,5-9,12` (spaces allowed
 * around the commas). Answers sorted, merged `[a, b]` ranges. Indices are 0-based item positions,
 * as in the verbose output (`failed at item 233`).
 * @internal
 */
export function parseItemRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`--items: '${part}' is not an item index or a range a-b (example: --items 1,5-9)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) throw new UsageError(`--items: '${part}' is too large`);
    if (b < a) throw new UsageError(`--items: the range '${part}' runs backwards (write ${b}-${a})`);
    ranges.push([a, b]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** `1,5-9` text of ranges. @internal */
export function rangesText(ranges: readonly [number, number][]): string {
  return ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}

/**
 * Parses `--keys`: a JSON array (`'["u1", 42]'`, exact strings and numbers, for keys that contain
 * commas) or comma-separated text (`u1,u2,42`); in the text form a value also matches a numeric key
 * it spells (see {@link matchKey}).
 * @internal
 */
export function parseKeys(text: string): { values: (string | number)[]; exact: boolean } {
  const t = text.trim();
  if (t.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(t);
    } catch {
      throw new UsageError('--keys: not a valid JSON array');
    }
    if (!Array.isArray(arr) || arr.some((k) => typeof k !== 'string' && !(typeof k === 'number' && Number.isFinite(k)))) {
      throw new UsageError('--keys: the JSON array must hold strings and numbers only');
    }
    if (arr.length === 0) throw new UsageError('--keys: the list is empty');
    return { values: arr as (string | number)[], exact: true };
  }
  const values = t.split(',').map((s) => s.trim());
  if (values.some((v) => v === '')) throw new UsageError('--keys: empty key in the list (use a JSON array for keys that are empty or contain commas)');
  return { values, exact: false };
}

/**
 * The stored key a `--keys` value names: the value itself when such a key is stored; in the text
 * form, else the number it spells when that number is a stored key; else the value unchanged
 * (a key that is not done).
 * @internal
 */
export function matchKey(value: string | number, exact: boolean, stored: ReadonlySet<string | number>): string | number {
  if (exact || stored.has(value)) return value;
  const n = Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(n) && stored.has(n)) return n;
  return value;
}
