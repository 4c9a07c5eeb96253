/**
 * The text of an idempotency store (docs/idempotency.md, "Storage"): lines, the first a JSON
 * header, the rest records applied in order. A compaction writes the header plus one record per
 * live entry; between compactions, records are appended.
 * - `m<expires> <json key>`: `key` was marked (IdempotencyCache.mark); `expires` is the expiry in
 *   ms since the epoch, `0` for never
 * - `v<expires> <json [key, result]>`: an `@Idempotent` call completed; `key` is its scoped key
 *   and `result` its serialized result
 * - `d<json key>`: a mark was deleted
 * @internal
 */
export const STORE_FORMAT = 1;

/** A damaged store text; `line` is 1-based. @internal */
export class StoreCodecError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

/** A recorded `@Idempotent` result. @internal */
export interface StoredResult {
  /** expiry (ms since the epoch), 0 for never */
  expires: number;
  /** the serialized result */
  text: string;
}

/** What a store holds in memory. @internal */
export interface StoreEntries {
  /** marked key → expiry (0 for never) */
  marks: Map<string, number>;
  /** scoped `@Idempotent` key → result */
  results: Map<string, StoredResult>;
}

/** Whether an expiry has not passed at `now`. @internal */
export function live(expires: number, now: number): boolean {
  return expires === 0 || expires > now;
}

/** @internal */
export function encodeHeader(name: string): string {
  return JSON.stringify({ 'safestate-idempotency': STORE_FORMAT, name }) + '\n';
}

/** @internal */
export function encodeMark(key: string, expires: number): string {
  return `m${expires} ${JSON.stringify(key)}\n`;
}

/** @internal */
export function encodeResult(key: string, result: StoredResult): string {
  return `v${result.expires} ${JSON.stringify([key, result.text])}\n`;
}

/** @internal */
export function encodeDelete(key: string): string {
  return `d${JSON.stringify(key)}\n`;
}

/** The compacted text: the header plus every entry that is live at `now`. @internal */
export function encodeStore(name: string, entries: StoreEntries, now: number): string {
  const parts: string[] = [encodeHeader(name)];
  for (const [k, exp] of entries.marks) if (live(exp, now)) parts.push(encodeMark(k, exp));
  for (const [k, r] of entries.results) if (live(r.expires, now)) parts.push(encodeResult(k, r));
  return parts.join('');
}

/** A JSON string literal; plain ones (no escapes) are sliced rather than parsed. */
function decodeKey(s: string): string {
  if (s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34 && s.indexOf('\\') === -1) {
    const k = s.slice(1, -1);
    if (k.indexOf('"') === -1) return k;
  }
  const k = JSON.parse(s) as unknown;
  if (typeof k !== 'string') throw new Error('a key is not a string');
  return k;
}

function expiryOf(s: string): number {
  const n = Number(s);
  if (s === '' || !Number.isSafeInteger(n) || n < 0) throw new Error('bad expiry');
  return n;
}

/**
 * Parses store text into `into` (which it fills; entries expired at `now` are dropped) and
 * answers the count of records that were not live entries at the end (overwritten, deleted or
 * expired), which tells when a compaction pays. Throws {@link StoreCodecError} on damage.
 * @internal
 */
export function decodeStore(text: string, name: string, now: number, into: StoreEntries): number {
  let start = 0;
  let line = 0;
  let records = 0;
  while (start < text.length) {
    line++;
    let nl = text.indexOf('\n', start);
    if (nl === -1) nl = text.length;
    const l = text.slice(start, nl);
    start = nl + 1;
    if (line === 1) {
      let h: Record<string, unknown>;
      try {
        h = JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new StoreCodecError(1, 'not an idempotency store (bad header)');
      }
      const v = h?.['safestate-idempotency'];
      if (typeof v !== 'number') throw new StoreCodecError(1, 'not an idempotency store (bad header)');
      if (v > STORE_FORMAT) {
        throw new StoreCodecError(1, `written by a newer safe-state (idempotency store format ${v}; this version reads up to ${STORE_FORMAT}): upgrade safe-state`);
      }
      if (h.name !== name) throw new StoreCodecError(1, `it belongs to store ${JSON.stringify(h.name)}`);
      continue;
    }
    if (l === '') continue;
    records++;
    try {
      const kind = l.charCodeAt(0);
      if (kind === 109 /* m */ || kind === 118 /* v */) {
        const sp = l.indexOf(' ');
        if (sp < 0) throw new Error('malformed record');
        const exp = expiryOf(l.slice(1, sp));
        const rest = l.slice(sp + 1);
        if (kind === 109) {
          const key = decodeKey(rest);
          if (live(exp, now)) into.marks.set(key, exp);
          else into.marks.delete(key);
        } else {
          const pair = JSON.parse(rest) as unknown;
          if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') throw new Error('malformed result record');
          if (live(exp, now)) into.results.set(pair[0], { expires: exp, text: pair[1] });
          else into.results.delete(pair[0]);
        }
      } else if (kind === 100 /* d */) {
        into.marks.delete(decodeKey(l.slice(1)));
      } else {
        throw new Error(`unknown record type ${JSON.stringify(l.slice(0, 1))}`);
      }
    } catch (e) {
      throw new StoreCodecError(line, (e as Error).message);
    }
  }
  if (line === 0) throw new StoreCodecError(1, 'the store is empty');
  return records - into.marks.size - into.results.size;
}
