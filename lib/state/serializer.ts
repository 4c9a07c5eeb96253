import type * as Devalue from 'devalue';

let devalueModule: typeof Devalue | undefined;
/**
 * devalue, loaded at first use: it ships ESM only, and `require()` of it starts Node's ESM loader
 * (tens of ms), a cost a process that never saves state should not pay at import.
 */
function devalue(): typeof Devalue {
  return (devalueModule ??= require('devalue') as typeof Devalue);
}
import { UnserializableStateError } from '../errors/unserializable-state-error';
import { LIVE_TAG, EXTRACT_FAILED, liveReducers, takeExtractFailure, descriptorOf } from '../reconnect/hooks';
import { SERIALIZATION_LIMITS, PayloadError, checkFlat, checkValueSize } from './limits';

/** Type name of a value for messages: constructor name, or typeof. @internal */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'Function';
  if (typeof value !== 'object') return typeof value;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name ? ctor.name : 'Object';
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Serializes a user value with devalue (Map, Set, Date, BigInt, cycles, typed arrays, …) and the
 * reconnect registry's reducers. A value that is neither serializable nor registered, whose
 * reconnector cannot describe it, or that is beyond {@link SERIALIZATION_LIMITS}, throws
 * {@link UnserializableStateError} naming its property path under `root` and its type.
 * The output is JSON text without raw newlines.
 * @internal
 */
export function serialize(value: unknown, root = 'state'): string {
  let text: string;
  try {
    text = devalue().stringify(value, liveReducers());
  } catch (e) {
    const failed = takeExtractFailure();
    if (e instanceof Error && e.name === 'DevalueError') {
      const d = e as Error & { path?: string; value?: unknown };
      const path = root + (d.path ?? '');
      if (d.value === EXTRACT_FAILED && failed) {
        throw new UnserializableStateError(path, typeName(failed.value), {
          cause: failed.error,
          detail: `reconnector '${failed.reconnector}' cannot describe it: ${message(failed.error)}`,
        });
      }
      throw new UnserializableStateError(path, typeName(d.value), { cause: e });
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new UnserializableStateError(root, typeName(value), { cause: e, detail: `it is nested too deeply to save (the limit is ${SERIALIZATION_LIMITS.maxDepth} levels)` });
    }
    throw e;
  }
  try {
    checkValueSize(text);
    // depth d needs more than d entries of at least 2 characters each: short texts cannot be too deep
    if (text.length >= 2 * SERIALIZATION_LIMITS.maxDepth) checkFlat(JSON.parse(text), LIVE_TAG);
  } catch (e) {
    if (e instanceof PayloadError) throw new UnserializableStateError(root, typeName(value), { detail: `${e.message}, so it could not be loaded again` });
    throw e;
  }
  return text;
}

/**
 * Parses serialized text into devalue's flat form after checking it against
 * {@link SERIALIZATION_LIMITS} and for unknown types; throws {@link PayloadError}. Nothing is built yet.
 * @internal
 */
export function parseFlat(text: string): unknown {
  if (typeof text !== 'string') throw new PayloadError(`malformed value (${typeof text} instead of text)`);
  checkValueSize(text);
  let flat: unknown;
  try {
    flat = JSON.parse(text);
  } catch {
    throw new PayloadError('malformed value (not valid JSON)');
  }
  checkFlat(flat, LIVE_TAG);
  return flat;
}

/**
 * Builds a value from checked flat form; live objects become whatever `live(descriptor)` returns.
 * devalue builds plain data only (objects, arrays, Map, Set, Date, …): nothing from the text is
 * executed, and no constructor other than those is called. Throws {@link PayloadError}.
 * @internal
 */
export function unflattenWith(flat: unknown, live: (payload: unknown) => unknown): unknown {
  try {
    return devalue().unflatten(flat as number | unknown[], { [LIVE_TAG]: live });
  } catch (e) {
    if (e instanceof PayloadError) throw e;
    throw new PayloadError(`malformed value (${message(e)})`);
  }
}

/**
 * Parses serialized text for inspection: values a reconnector would rebuild stay inert
 * descriptors `{ reconnector, meta }`, so inspecting a checkpoint never opens connections.
 * Throws {@link PayloadError} on damaged text or text beyond the limits.
 * @internal
 */
export function deserializeInert(text: string): unknown {
  return unflattenWith(parseFlat(text), descriptorOf);
}
