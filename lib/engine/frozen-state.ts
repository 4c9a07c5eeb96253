import { serialize, typeName } from '../state/serializer';
import { isSecretName } from '../util/secret-name';
import { withoutSecrets } from '../util/secret-fields';
import type { SafeStateOptions } from './options';

type FrozenOption = NonNullable<SafeStateOptions['frozen']>;

const DROP = { drop: true } as const;

/**
 * What a failed run freezes, as the `frozen` option and encryption decide:
 * - `false`: nothing;
 * - `true`: every own enumerable field of the instance, as it is;
 * - a list: exactly those fields (own or inherited, e.g. a getter), secret-marking names included
 *   since the job named them, with secrets inside their values left out;
 * - a function: the own enumerable fields of the object it returns, as they are;
 * - default: every own enumerable field except those whose names mark a secret, and secrets inside
 *   the values left out (see util/secret-name.ts); with encryption on, every field as it is.
 * Secrets inside values: entries of plain objects and Maps under secret-marking names are dropped at
 * every depth, URL passwords become `***`.
 */
function chooseFields(instance: unknown, frozen: FrozenOption | undefined, encrypted: boolean): { from: object; names: string[]; scrub: boolean } | null {
  if (frozen === false) return null;
  if (typeof frozen === 'function') {
    const chosen: unknown = frozen(instance);
    if (chosen === null || typeof chosen !== 'object' || typeof (chosen as { then?: unknown }).then === 'function') return null;
    return { from: chosen, names: Object.keys(chosen), scrub: false };
  }
  if (instance === null || typeof instance !== 'object' || instance === globalThis) return null;
  if (Array.isArray(frozen)) return { from: instance, names: frozen.filter((k) => k in instance), scrub: true };
  const keepAll = frozen === true || encrypted;
  return { from: instance, names: Object.keys(instance).filter((k) => keepAll || !isSecretName(k)), scrub: !keepAll };
}

/**
 * The job instance's fields, serialized, for inspection after a failure (see `chooseFields` for
 * which). Best effort: a field that cannot be saved becomes `{ unserializable: '<Type>' }`; a
 * `frozen` function that throws or returns no object freezes nothing; nothing here throws.
 * @internal
 */
export function captureFields(instance: unknown, frozen?: FrozenOption, encrypted = false): string | null {
  try {
    const chosen = chooseFields(instance, frozen, encrypted);
    if (!chosen) return null;
    const memo = new Map<object, unknown>(); // one copy of a value shared by several fields
    const out: Record<string, unknown> = {};
    const put = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    for (const k of chosen.names) {
      let v: unknown;
      try {
        v = (chosen.from as Record<string, unknown>)[k];
        const kept = chosen.scrub ? withoutSecrets(v, DROP, memo) : v;
        serialize(kept, `this.${k}`);
        put(k, kept);
      } catch {
        put(k, { unserializable: typeName(v) });
      }
    }
    return serialize(out, 'this');
  } catch {
    return null;
  }
}
