import { InvalidOptionsError } from '../errors/invalid-options-error';

/**
 * Limits on the user values a checkpoint holds (`checkpoint()` state, frozen instance fields,
 * stored results), checked before any of it is turned into objects, and checked the same way when
 * a value is saved so that safe-state never writes what it would refuse to read. They bound what a
 * crafted or damaged checkpoint can make a process do: allocate, recurse, or compute. See
 * docs/security.md.
 *
 * @example
 * ```ts
 * import { SERIALIZATION_LIMITS } from 'safe-state';
 * console.log(SERIALIZATION_LIMITS.maxDepth); // 1000
 * ```
 */
export const SERIALIZATION_LIMITS: Readonly<{
  /**
   * Characters of one serialized value (default 64 Mi): larger values fail to save and refuse to
   * load. Raise it with the environment variable `SAFE_STATE_MAX_VALUE_CHARS`.
   */
  maxValueChars: number;
  /** Nesting levels of one value (1000): devalue's parser recurses once per level. */
  maxDepth: number;
  /** Decimal digits of one BigInt (100,000): parsing a decimal BigInt is quadratic in its length. */
  maxBigIntDigits: number;
  /**
   * Characters of a whole stored checkpoint (default 256 Mi), checked before anything of it is
   * parsed. Raise it with the environment variable `SAFE_STATE_MAX_CHECKPOINT_CHARS`.
   */
  maxCheckpointChars: number;
}> = Object.freeze({
  get maxValueChars(): number {
    return envLimit(VALUE_ENV, 64 * 1024 * 1024);
  },
  maxDepth: 1000,
  maxBigIntDigits: 100_000,
  get maxCheckpointChars(): number {
    return envLimit(CHECKPOINT_ENV, 256 * 1024 * 1024);
  },
});

/** The environment variable that raises {@link SERIALIZATION_LIMITS}.maxValueChars. @internal */
export const VALUE_ENV = 'SAFE_STATE_MAX_VALUE_CHARS';
/** The environment variable that raises {@link SERIALIZATION_LIMITS}.maxCheckpointChars. @internal */
export const CHECKPOINT_ENV = 'SAFE_STATE_MAX_CHECKPOINT_CHARS';

/** The longest string V8 can hold: no limit can usefully go beyond it. */
const MAX_STRING = 2 ** 29 - 24;

/** A limit from the environment (a positive integer, at most {@link MAX_STRING}), or its default. */
function envLimit(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidOptionsError(name, `${name} must be a positive integer (a number of characters), got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return Math.min(n, MAX_STRING);
}

/** A serialized value that is malformed or beyond {@link SERIALIZATION_LIMITS}. @internal */
export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

/** devalue's sentinels: undefined, hole, NaN, +Infinity, -Infinity, -0 (and -7, the sparse-array marker). */
const MIN_SENTINEL = -6;
const SPARSE = -7;
const HOLE = -2;

/** Type tags devalue's parser knows and that take no references. */
const LEAF_TAGS = new Set([
  'Date', 'RegExp', 'BigInt', 'ArrayBuffer', 'URL', 'URLSearchParams', 'Temporal.Duration', 'Temporal.Instant',
  'Temporal.PlainDate', 'Temporal.PlainTime', 'Temporal.PlainDateTime', 'Temporal.PlainMonthDay', 'Temporal.PlainYearMonth',
  'Temporal.ZonedDateTime',
]);
/** Type tags whose second element references an ArrayBuffer. */
const VIEW_TAGS = new Set([
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Float16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'DataView',
]);

/**
 * Checks the size of a serialized value before it is parsed.
 * @internal
 */
export function checkValueSize(text: string): void {
  const max = SERIALIZATION_LIMITS.maxValueChars;
  if (text.length > max) {
    throw new PayloadError(`the value is ${text.length} characters long, more than the limit of ${max} (SERIALIZATION_LIMITS.maxValueChars; to load it anyway, set the environment variable ${VALUE_ENV} to a larger number of characters)`);
  }
}

/**
 * Checks the length of a whole stored checkpoint before any of it is parsed: longer text fails
 * with {@link PayloadError} naming the limit and how to raise it.
 * @internal
 */
export function checkCheckpointSize(text: string): void {
  checkCheckpointLength(text.length, 'characters');
}

/**
 * Checks the size in bytes of a stored checkpoint before any of it is read (a FileBackend file,
 * from `fstat`): a file larger than `maxCheckpointChars` bytes fails with {@link PayloadError}.
 * Bytes are never fewer than the characters they decode to, so a checkpoint within the limit in
 * ASCII is never refused; one heavy in non-ASCII text may need the limit raised.
 * @internal
 */
export function checkCheckpointBytes(bytes: number): void {
  checkCheckpointLength(bytes, 'bytes');
}

function checkCheckpointLength(length: number, unit: 'characters' | 'bytes'): void {
  const max = SERIALIZATION_LIMITS.maxCheckpointChars;
  if (length > max) {
    throw new PayloadError(`the checkpoint is ${length} ${unit} long, more than the limit of ${max} (SERIALIZATION_LIMITS.maxCheckpointChars; to load it anyway, set the environment variable ${CHECKPOINT_ENV} to a larger number of characters)`);
  }
}

/**
 * Validates devalue's flat form (the result of `JSON.parse` on serialized text) without building
 * anything from it: every reference points inside the array, only known type tags (devalue's own,
 * plus `liveTag` for the reconnect registry) appear, no object has a `__proto__` key, no BigInt has
 * more than {@link SERIALIZATION_LIMITS.maxBigIntDigits} digits, and the nesting that devalue's
 * (recursive) parser would follow stays within {@link SERIALIZATION_LIMITS.maxDepth}. The walk is
 * iterative and visits references in the order the parser does, so the depth it measures is the
 * parser's recursion depth. Throws {@link PayloadError}.
 * @internal
 */
export function checkFlat(parsed: unknown, liveTag: string): void {
  if (typeof parsed === 'number') {
    if (!Number.isInteger(parsed) || parsed >= 0 || parsed < MIN_SENTINEL) throw new PayloadError('malformed value (a bare number that is no known constant)');
    return;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new PayloadError('malformed value (not a devalue array)');
  const values = parsed as unknown[];
  const n = values.length;
  const visited = new Uint8Array(n);
  const maxDepth = SERIALIZATION_LIMITS.maxDepth;
  const refs = (i: number): number[] => childrenOf(values[i], i, n, liveTag);
  const stack: { refs: number[]; pos: number }[] = [{ refs: refs(0), pos: 0 }];
  visited[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.pos >= top.refs.length) {
      stack.pop();
      continue;
    }
    const c = top.refs[top.pos++];
    if (c < 0 || visited[c]) continue;
    visited[c] = 1;
    if (stack.length >= maxDepth) throw new PayloadError(`the value is nested more than ${maxDepth} levels deep`);
    stack.push({ refs: refs(c), pos: 0 });
  }
}

function ref(v: unknown, n: number, at: number, allowHole = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new PayloadError(`malformed value (entry ${at} holds a reference that is not an index)`);
  if (v >= n) throw new PayloadError(`malformed value (entry ${at} references entry ${v}, beyond the end)`);
  if (v === HOLE) {
    if (!allowHole) throw new PayloadError(`malformed value (entry ${at} holds a hole outside an array)`);
  } else if (v < MIN_SENTINEL) throw new PayloadError(`malformed value (entry ${at} holds an unknown constant ${v})`);
  return v;
}

/** The references an entry holds, in the order devalue's parser follows them. */
function childrenOf(value: unknown, at: number, n: number, liveTag: string): number[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    const head = value[0];
    if (typeof head === 'string') return taggedChildren(head, value, at, n, liveTag);
    if (head === SPARSE) {
      const len = value[1];
      if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > 2 ** 32 - 1) throw new PayloadError(`malformed value (entry ${at} is a sparse array with a bad length)`);
      const out: number[] = [];
      for (let i = 2; i < value.length; i += 2) {
        const idx = value[i];
        if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0 || idx >= len) throw new PayloadError(`malformed value (entry ${at} is a sparse array with a bad index)`);
        out.push(ref(value[i + 1], n, at));
      }
      return out;
    }
    return value.map((v) => ref(v, n, at, true));
  }
  const out: number[] = [];
  for (const key of Object.keys(value)) {
    if (key === '__proto__') throw new PayloadError(`malformed value (entry ${at} has a __proto__ key)`);
    out.push(ref((value as Record<string, unknown>)[key], n, at));
  }
  return out;
}

function taggedChildren(tag: string, value: unknown[], at: number, n: number, liveTag: string): number[] {
  if (tag === liveTag) {
    if (value.length !== 2) throw new PayloadError(`malformed value (entry ${at} is a malformed live-object record)`);
    return [ref(value[1], n, at)];
  }
  if (LEAF_TAGS.has(tag)) {
    if (tag === 'BigInt') {
      const digits = value[1];
      if (typeof digits !== 'string') throw new PayloadError(`malformed value (entry ${at} is a BigInt without digits)`);
      if (digits.length > SERIALIZATION_LIMITS.maxBigIntDigits) {
        throw new PayloadError(`a BigInt has ${digits.length} digits, more than the limit of ${SERIALIZATION_LIMITS.maxBigIntDigits}`);
      }
    }
    return [];
  }
  switch (tag) {
    case 'Set':
    case 'Map':
      return value.slice(1).map((v) => ref(v, n, at));
    case 'Object':
      return [ref(value[1], n, at)];
    case 'null': {
      const out: number[] = [];
      for (let i = 1; i < value.length; i += 2) {
        if (typeof value[i] !== 'string') throw new PayloadError(`malformed value (entry ${at} has a non-string key)`);
        if (value[i] === '__proto__') throw new PayloadError(`malformed value (entry ${at} has a __proto__ key)`);
        out.push(ref(value[i + 1], n, at));
      }
      return out;
    }
  }
  if (VIEW_TAGS.has(tag)) return [ref(value[1], n, at)];
  throw new PayloadError(
    `the value names an unknown type ${JSON.stringify(tag.length > 80 ? tag.slice(0, 80) + '…' : tag)}; safe-state only builds devalue's data types and objects of registered reconnectors`,
  );
}
