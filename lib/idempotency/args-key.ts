import { createHash } from 'node:crypto';
import { serialize } from '../state/serializer';

/** Keys made of arguments longer than this are replaced by their SHA-256. @internal */
export const ARGS_KEY_MAX = 200;

/**
 * The key of a call recorded without a `key` option: its arguments serialized like job state
 * (devalue: plain data, Map, Set, Date, BigInt, …), or `sha256:<hex>` of that when it is long.
 * Equal arguments give equal keys; objects whose properties were added in another order give
 * different keys (the method then runs again: never fewer times than it should).
 * Arguments that cannot be serialized throw {@link UnserializableStateError}: give `key`.
 * @internal
 */
export function argsKey(args: readonly unknown[], what: string): string {
  const text = serialize([...args], `arguments of ${what}`);
  return text.length <= ARGS_KEY_MAX ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
