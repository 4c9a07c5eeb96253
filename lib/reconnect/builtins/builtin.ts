/**
 * A built-in reconnector: a name, a structural `matches` (driver classes are recognised by shape
 * and constructor name, so that no driver module is loaded before it is needed), and the usual
 * `extract` / `reconnect` / `dispose`.
 * @internal
 */
export interface BuiltinReconnector {
  name: string;
  /** what it handles, for messages */
  describes: string;
  matches(value: unknown): boolean;
  extract(obj: any): unknown;
  reconnect(meta: any): unknown;
  dispose?(obj: any): unknown;
}

/** Constructor name of a value (`''` when none). @internal */
export function ctorName(v: unknown): string {
  const c = (v as { constructor?: { name?: unknown } } | null)?.constructor;
  return typeof c?.name === 'string' ? c.name : '';
}

/** Whether `v` is an object (or function) with all the named methods. @internal */
export function hasMethods(v: unknown, ...names: string[]): v is Record<string, (...a: any[]) => any> {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
  const o = v as Record<string, unknown>;
  return names.every((n) => typeof o[n] === 'function');
}

/** Default time a built-in waits for a connection before giving up (ms). @internal */
export const CONNECT_TIMEOUT_MS = 10_000;
