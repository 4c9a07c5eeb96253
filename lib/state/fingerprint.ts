import { createHash } from 'node:crypto';

/** Items whose hashes make up an input's fingerprint. @internal */
export const FINGERPRINT_ITEMS = 16;

const MAX_DEPTH = 4;
const MAX_KEYS = 64;

function form(v: unknown, depth: number, seen: Set<object>): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'symbol':
      return `Symbol(${v.description ?? ''})`;
    case 'function':
      return `fn ${v.name}`;
  }
  if (v === null) return 'null';
  const o = v as object;
  if (seen.has(o)) return '<cycle>';
  if (depth >= MAX_DEPTH) return `${ctorName(o)}{…}`;
  seen.add(o);
  try {
    if (o instanceof Date) return `Date(${o.getTime()})`;
    if (Array.isArray(o)) return `[${o.slice(0, MAX_KEYS).map((x) => form(x, depth + 1, seen)).join(',')}]`;
    if (o instanceof Map) return `Map{${[...o].slice(0, MAX_KEYS).map(([k, x]) => `${form(k, depth + 1, seen)}=>${form(x, depth + 1, seen)}`).join(',')}}`;
    if (o instanceof Set) return `Set{${[...o].slice(0, MAX_KEYS).map((x) => form(x, depth + 1, seen)).join(',')}}`;
    if (ArrayBuffer.isView(o)) return `${ctorName(o)}(${Buffer.from(o.buffer, o.byteOffset, Math.min(o.byteLength, 256)).toString('hex')})`;
    const keys = Object.keys(o).slice(0, MAX_KEYS);
    return `${ctorName(o)}{${keys.map((k) => `${JSON.stringify(k)}:${form((o as Record<string, unknown>)[k], depth + 1, seen)}`).join(',')}}`;
  } finally {
    seen.delete(o);
  }
}

function ctorName(o: object): string {
  const c = (o as { constructor?: { name?: unknown } }).constructor;
  return typeof c?.name === 'string' ? c.name : 'Object';
}

/**
 * Hash of an item's structural form (constructor name plus own enumerable data, to a bounded
 * depth), 12 hex digits. Used to notice that a job's input changed between runs.
 * @internal
 */
export function itemHash(item: unknown): string {
  return createHash('sha256').update(form(item, 0, new Set())).digest('hex').slice(0, 12);
}
