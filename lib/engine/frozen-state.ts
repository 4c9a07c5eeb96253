import { serialize, typeName } from '../state/serializer';

/**
 * The job instance's own enumerable fields, serialized, for inspection after a failure. Best
 * effort: a field that cannot be saved becomes `{ unserializable: '<Type>' }`; nothing here throws.
 * @internal
 */
export function captureFields(instance: unknown): string | null {
  if (instance === null || typeof instance !== 'object' || instance === globalThis) return null;
  try {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(instance)) {
      let v: unknown;
      try {
        v = (instance as Record<string, unknown>)[k];
        serialize(v, `this.${k}`);
        out[k] = v;
      } catch {
        out[k] = { unserializable: typeName(v) };
      }
    }
    return serialize(out, 'this');
  } catch {
    return null;
  }
}
