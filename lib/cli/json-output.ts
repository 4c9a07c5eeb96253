import { deserializeInert } from '../state/serializer';
import type { JobEntry, JobReport } from './read-job';
import { doneRangesText, firstUndone } from './job-details';
import { errorCodeOf, exitCodeOf } from './exit-codes';

/** A JSON value. @internal */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A JSON-safe copy of a value read from a checkpoint (saved state, frozen fields, results, which
 * devalue keeps as Map, Set, Date, BigInt, typed arrays, cycles): Date → ISO string, BigInt →
 * decimal string, Map → `{ "$map": [[key, value], …] }`, Set and typed arrays → arrays,
 * `undefined` and functions → null, a repeated reference on the current path → `"[Circular]"`.
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
    total: entry.total,
    progress: entry.progress,
    runs: entry.runs,
    keyed: entry.keyed,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
    lastFailure: f ? { index: f.index, name: f.name, message: f.message, stack: f.stack, at: f.at } : null,
  };
}

/** Everything about one job, as `show --json` prints it. @internal */
export function jobDetailJson(r: JobReport): { [key: string]: Json } {
  const { doc } = r;
  const inert = (text: string | null) => (text === null ? null : toJsonValue(deserializeInert(text)));
  return {
    ...jobJson(r),
    nextItem: firstUndone(r),
    doneRanges: r.keyed ? null : doneRangesText(doc.progress),
    doneKeys: doc.keys ? [...doc.keys.keys] : null,
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

/** JSON text for stdout: two-space indentation and a final newline. @internal */
export function printJson(value: Json | { [key: string]: Json }): string {
  return JSON.stringify(value, null, 2) + '\n';
}
