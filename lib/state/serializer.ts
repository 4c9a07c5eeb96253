import * as devalue from 'devalue';
import { UnserializableStateError } from '../errors/unserializable-state-error';
import { reconnectHooks } from '../reconnect/hooks';

/** Type name of a value for messages: constructor name, or typeof. @internal */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'Function';
  if (typeof value !== 'object') return typeof value;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name ? ctor.name : 'Object';
}

/**
 * Serializes a user value with devalue (Map, Set, Date, BigInt, cycles, typed arrays, …) and the
 * reconnect registry's reducers. A value that is neither serializable nor registered throws
 * {@link UnserializableStateError} naming its property path under `root` and its type.
 * The output is JSON text without raw newlines.
 * @internal
 */
export function serialize(value: unknown, root = 'state'): string {
  try {
    return devalue.stringify(value, reconnectHooks().reducers);
  } catch (e) {
    if (e instanceof Error && e.name === 'DevalueError') {
      const d = e as Error & { path?: string; value?: unknown };
      throw new UnserializableStateError(root + (d.path ?? ''), typeName(d.value), { cause: e });
    }
    throw e;
  }
}

/**
 * Parses text written by {@link serialize}. Never executes code from it: devalue.parse builds plain
 * data, and only registered revivers (by name) turn descriptions into live objects.
 * @internal
 */
export function deserialize(text: string): unknown {
  return devalue.parse(text, reconnectHooks().revivers);
}

/**
 * Parses serialized text for inspection: values a reconnector would rebuild stay inert
 * descriptors `{ reconnector, meta }`, so inspecting a checkpoint never opens connections.
 * @internal
 */
export function deserializeInert(text: string): unknown {
  const revivers: Record<string, (v: unknown) => unknown> = {};
  for (const name of Object.keys(reconnectHooks().revivers)) revivers[name] = (meta) => ({ reconnector: name, meta });
  return devalue.parse(text, revivers);
}
