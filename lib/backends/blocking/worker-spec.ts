/**
 * How a worker thread opens a backend of its own: a description made only of data (it crosses a
 * thread boundary by structured clone), given by a backend's optional
 * {@link StateBackend.workerSpec} hook. The worker builds the same backend class on a connection of
 * its own, takes over the run's lock state, and runs the backend's own `save`/`append` (so the
 * backend's fencing applies unchanged).
 * @internal
 */
export interface WorkerSpec {
  /** which backend class the worker builds */
  readonly kind: 'redis' | 'sql';
  /** for `sql`: the driver the worker opens its connection with */
  readonly driver?: 'pg' | 'mysql2' | 'knex';
  /** the driver's connection options (plain data: functions and class instances left out) */
  readonly connection: Record<string, unknown>;
  /** the backend's own options (prefix, table, dialect, lease, timeout) */
  readonly options: Record<string, unknown>;
  /** the run's lock state (plain data), which the worker's backend takes over, or null */
  readonly lock: Record<string, unknown> | null;
  /** how long one save may take before it fails with `BackendError` (ms) */
  readonly timeoutMs: number;
}

/**
 * A copy of `value` made of plain data only: primitives, arrays, plain objects and byte arrays
 * (`Buffer`, typed arrays). Functions, symbols and other class instances (sockets, timers, agents)
 * are left out, so the copy can cross a thread. Depth-limited against cycles.
 * @internal
 */
export function plainData(value: unknown, depth = 0): unknown {
  if (value === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof value)) return value;
  if (typeof value !== 'object' || depth > 8) return undefined;
  if (ArrayBuffer.isView(value)) return Uint8Array.prototype.slice.call(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (Array.isArray(value)) return value.map((v) => plainData(v, depth + 1)).filter((v) => v !== undefined);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null && depth > 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const c = plainData(v, depth + 1);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

/**
 * The plain-data fields of a held lock (record, token, fence, times), without its timer and callbacks.
 * @internal
 */
export function lockState(held: object | undefined): Record<string, unknown> | null {
  if (!held) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(held)) if (v === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof v)) out[k] = v;
  return out;
}
