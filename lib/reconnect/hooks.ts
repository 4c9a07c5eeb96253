import { matchOrder, type ReconnectorEntry } from './registry';

/**
 * The seam between devalue and the reconnect registry. A registered live object is written as one
 * devalue custom type, `["$live", i]`, whose payload (entry `i`) is `[reconnectorName, meta]`: one
 * tag for every reconnector keeps parsing closed (devalue refuses any other unknown tag) and lets a
 * checkpoint name reconnectors this process does not know without failing to parse.
 * @internal
 */
export const LIVE_TAG = '$live';

/** What a failed `extract` (or `matches`) left for the serializer to report. @internal */
export interface ExtractFailure {
  reconnector: string;
  value: unknown;
  error: unknown;
}

let failure: ExtractFailure | null = null;

/**
 * Returned to devalue in place of a description when `extract` throws: devalue cannot stringify a
 * function, so it throws a DevalueError carrying the property path of the live object, and the
 * serializer turns that into an error naming the path, the reconnector and the cause.
 * @internal
 */
export const EXTRACT_FAILED = function extractFailed(): void {};

/** Takes (and clears) the failure recorded by the last reducer call. @internal */
export function takeExtractFailure(): ExtractFailure | null {
  const f = failure;
  failure = null;
  return f;
}

const PLAIN_PROTOS: ReadonlySet<unknown> = new Set([Object.prototype, Array.prototype, null, Map.prototype, Set.prototype, Date.prototype, RegExp.prototype]);

function find(order: ReturnType<typeof matchOrder>, v: object): ReconnectorEntry | null {
  for (const e of order.custom) if (e.matches(v)) return e;
  if (PLAIN_PROTOS.has(Object.getPrototypeOf(v))) return null;
  for (const e of order.typed) if (e.matches(v)) return e;
  for (const e of order.builtins) if (e.matches(v)) return e;
  return null;
}

/**
 * devalue reducers for one `stringify` call: registered live objects become
 * `[reconnectorName, extract(obj)]` under {@link LIVE_TAG}.
 * @internal
 */
export function liveReducers(): Record<string, (value: unknown) => unknown> {
  const order = matchOrder();
  failure = null;
  return {
    [LIVE_TAG]: (v: unknown) => {
      if (v === null || (typeof v !== 'object' && typeof v !== 'function') || v === EXTRACT_FAILED) return undefined;
      let entry: ReconnectorEntry | null = null;
      try {
        entry = find(order, v);
        if (!entry) return undefined;
        return [entry.name, entry.extract(v)];
      } catch (error) {
        failure = { reconnector: entry?.name ?? '(matches)', value: v, error };
        return EXTRACT_FAILED;
      }
    },
  };
}

/**
 * A live object as a peeked checkpoint shows it: inert, nothing opened.
 *
 * @example
 * ```ts
 * const cp = await SafeState.of(job, 'run').peekCheckpoint();
 * const db = (cp?.state as { db: LiveDescriptor }).db;
 * console.log(db.reconnector, db.meta); // 'mysql2.Connection' { settings: { host: 'db', user: 'etl', … }, secrets: ['password'] }
 * ```
 */
export interface LiveDescriptor {
  /** Name of the reconnector that would rebuild it. */
  reconnector: string;
  /** What its `extract` saved. */
  meta: unknown;
}

/**
 * Turns a `$live` payload into an inert descriptor; throws on a malformed payload.
 * @internal
 */
export function descriptorOf(payload: unknown): LiveDescriptor {
  if (!Array.isArray(payload) || payload.length !== 2 || typeof payload[0] !== 'string') {
    throw new Error('malformed live-object record (expected [reconnector, meta])');
  }
  return { reconnector: payload[0], meta: payload[1] };
}
