import { deserializeInert } from '../state/serializer';
import type { JobEntry, JobReport } from './read-job';
import { doneKeyRangesText, doneRangesText, firstUndone, progressOf } from './job-details';
import type { CheckpointDoc } from '../state/checkpoint-doc';
import { errorCodeOf, exitCodeOf } from './exit-codes';
import { Redacted, redactForDisplay } from './redacted';
import { jsonForTerminal } from '../util/terminal-text';

/** A JSON value. @internal */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A JSON-safe copy of a value read from a checkpoint (saved state, frozen fields, results, which
 * devalue keeps as Map, Set, Date, BigInt, typed arrays, cycles): Date → ISO string, BigInt →
 * decimal string, Map → `{ "$map": [[key, value], …] }`, Set and typed arrays → arrays,
 * `undefined` and functions → null, a repeated reference on the current path → `"[Circular]"`,
 * a value masked for display ({@link Redacted}) → `{ "$redacted": true }`.
 * @internal
 */
export function toJsonValue(value: unknown, seen: Set<object> = new Set()): Json {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return null;
  }
  const obj = value as object;
  if (obj instanceof Redacted) return { $redacted: true };
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (seen.has(obj)) return '[Circular]';
  seen.add(obj);
  try {
    if (obj instanceof Map) return { $map: [...obj].map(([k, v]) => [toJsonValue(k, seen), toJsonValue(v, seen)]) };
    if (obj instanceof Set) return [...obj].map((v) => toJsonValue(v, seen));
    if (ArrayBuffer.isView(obj)) return Array.from(obj as unknown as ArrayLike<number | bigint>, (v) => toJsonValue(v, seen));
    if (Array.isArray(obj)) return obj.map((v) => toJsonValue(v, seen));
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(obj)) out[k] = toJsonValue(v, seen);
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** The figures of a job, as `list --json` prints them. @internal */
export function jobJson(entry: JobEntry): { [key: string]: Json } {
  if (!entry.readable) {
    return { job: entry.job, location: entry.location, readable: false, error: { code: entry.error.code, message: entry.error.message } };
  }
  const f = entry.lastFailure;
  return {
    job: entry.job,
    location: entry.location,
    readable: true,
    complete: entry.complete,
    done: entry.done,
    failed: entry.failed,
    total: entry.total,
    progress: entry.progress,
    runs: entry.runs,
    keyed: entry.keyed,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
    lastFailure: f ? { index: f.index, name: f.name, message: f.message, stack: f.stack, at: f.at } : null,
  };
}

/** The failed items of `onItemError: 'skip'` for `show --json`: count, ranges or keys, details of the first ones. */
function failedJson(doc: CheckpointDoc): Json {
  const f = doc.failed;
  if (!f || f.count === 0) return null;
  return {
    count: f.count,
    ranges: f.keys ? null : f.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(','),
    keys: f.keys ? f.keys.slice() : null,
    details: f.details.map((d) => ({ index: d.index, key: d.key ?? null, name: d.name, message: d.message, tries: d.tries, at: d.at })),
  };
}

/**
 * Everything about one job, as `show --json` prints it. Values under secret-marking names in the
 * saved state, frozen fields and results are masked (`{ "$redacted": true }`).
 * @internal
 */
export function jobDetailJson(r: JobReport): { [key: string]: Json } {
  const { doc } = r;
  const inert = (text: string | null) => (text === null ? null : toJsonValue(redactForDisplay(deserializeInert(text))));
  const done = progressOf(doc);
  return {
    ...jobJson(r),
    nextItem: firstUndone(r),
    doneRanges: r.keyed ? null : doneRangesText(done.progress),
    doneKeys: done.keys ? [...done.keys.otherKeys()] : null,
    doneKeyRanges: done.keys ? doneKeyRangesText(done.keys) : null,
    failedItems: failedJson(doc),
    state: inert(doc.state),
    frozenState: inert(doc.frozenState),
    results: [...doc.results].map(([k, v]) => ({ key: JSON.parse(k) as Json, value: inert(v) })),
  };
}

/** An error, as `--json` prints it on stdout (the message also goes to stderr). @internal */
export function errorJson(error: unknown): { error: { [key: string]: Json } } {
  return {
    error: {
      code: errorCodeOf(error),
      exitCode: exitCodeOf(error),
      message: error instanceof Error ? error.message : String(error),
    },
  };
}

/**
 * JSON text for stdout: two-space indentation and a final newline. Characters a terminal would
 * act on (C1 controls, bidi controls, invisible ones) are written as `\uXXXX` escapes, so the text
 * is safe on a terminal and parses to exactly the same values.
 * @internal
 */
export function printJson(value: Json | { [key: string]: Json }): string {
  return jsonForTerminal(JSON.stringify(value, null, 2)) + '\n';
}
