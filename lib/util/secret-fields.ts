import { isSecretName } from './secret-name';

/*
 * Secrets inside plain data: the values under names that mark a secret (see secret-name.ts), at
 * every depth of plain objects, arrays, Maps (string keys) and Sets, and the password of a URL
 * (`postgres://app:hunter2@db/x`, as a string or a URL object). Other objects (class instances,
 * live objects, Dates, typed arrays) are left as they are and not looked into.
 */

const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]*@/i;

/** What to do with a value under a secret-marking name: drop the entry, or replace its value. */
export type SecretPolicy = { drop: true } | { replace: (value: unknown) => unknown };

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function urlWithoutPassword(text: string): string {
  if (!URL_WITH_PASSWORD.test(text)) return text;
  try {
    const u = new URL(text);
    if (!u.password) return text;
    u.password = '***';
    return u.toString();
  } catch {
    return text;
  }
}

/**
 * A copy of `value` without its secrets: entries of plain objects and Maps whose names mark a
 * secret are dropped or have their value replaced (`policy`), URL passwords become `***`. Plain
 * objects, arrays, Maps and Sets are copied (cycles and shared references kept, through `memo`);
 * everything else is returned as it is. Not on any hot path: used when a run fails and by the CLI.
 * @internal
 *
 * @example
 * ```ts
 * withoutSecrets({ region: 'eu', apiKey: 'sk_live_1' }, { drop: true }); // { region: 'eu' }
 * ```
 */
export function withoutSecrets(value: unknown, policy: SecretPolicy, memo: Map<object, unknown> = new Map()): unknown {
  if (typeof value === 'string') return urlWithoutPassword(value);
  if (value === null || typeof value !== 'object') return value;
  const done = memo.get(value);
  if (done !== undefined) return done;
  const entry = (name: unknown, v: unknown): { keep: boolean; v: unknown } => {
    if (typeof name !== 'string' || !isSecretName(name)) return { keep: true, v: withoutSecrets(v, policy, memo) };
    return 'drop' in policy ? { keep: false, v: undefined } : { keep: true, v: policy.replace(v) };
  };
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    memo.set(value, out);
    value.forEach((v, i) => (out[i] = withoutSecrets(v, policy, memo))); // holes stay holes
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    memo.set(value, out);
    for (const [k, v] of value) {
      const e = entry(k, v);
      if (e.keep) out.set(withoutSecrets(k, policy, memo), e.v);
    }
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    memo.set(value, out);
    for (const v of value) out.add(withoutSecrets(v, policy, memo));
    return out;
  }
  if (value instanceof URL) {
    if (!value.password) return value;
    const out = new URL(value.href);
    out.password = '***';
    memo.set(value, out);
    return out;
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(value) as object | null);
  memo.set(value, out);
  for (const k of Object.keys(value)) {
    const e = entry(k, (value as Record<string, unknown>)[k]);
    // defineProperty: a key named __proto__ stays data
    if (e.keep) Object.defineProperty(out, k, { value: e.v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
