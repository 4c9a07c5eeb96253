import type { ItemKey, KeyProgress } from './key-progress';

/**
 * A read-only `Set`-like view of the done keys of a keyed job: `has` and `size` answer without
 * copying (integer keys stay ranges), iteration is lazy. The set operations of newer runtimes
 * (`union`, `intersection`, …) are answered by a real `Set` built on demand, where the runtime has
 * them.
 *
 * @example
 * ```ts
 * const cp = await SafeState.of(job, 'run').peekCheckpoint();
 * if (cp?.completedKeys?.has('user-42')) console.log('user-42 is done');
 * ```
 */
export class DoneKeys implements ReadonlySet<ItemKey> {
  /** @internal */
  constructor(private readonly progress: KeyProgress) {}

  /** Whether `key` is done. */
  has(key: ItemKey): boolean {
    return this.progress.isDone(key);
  }

  /** Number of done keys. */
  get size(): number {
    return this.progress.size;
  }

  /** The done keys: other keys in completion order, then integer keys ascending. */
  [Symbol.iterator](): SetIterator<ItemKey> {
    return this.progress.values() as SetIterator<ItemKey>;
  }

  /** Same as iterating the view. */
  values(): SetIterator<ItemKey> {
    return this[Symbol.iterator]();
  }

  /** Same as iterating the view (a set's keys are its values). */
  keys(): SetIterator<ItemKey> {
    return this[Symbol.iterator]();
  }

  /** `[key, key]` pairs, as `Set.prototype.entries`. */
  *entries(): SetIterator<[ItemKey, ItemKey]> {
    for (const k of this) yield [k, k];
  }

  /** Calls `fn(key, key, set)` for every done key. */
  forEach(fn: (value: ItemKey, key: ItemKey, set: ReadonlySet<ItemKey>) => void, thisArg?: unknown): void {
    for (const k of this) fn.call(thisArg, k, k, this);
  }

  /** What `Object.prototype.toString` prints. */
  get [Symbol.toStringTag](): string {
    return 'DoneKeys';
  }
}

for (const name of ['union', 'intersection', 'difference', 'symmetricDifference', 'isSubsetOf', 'isSupersetOf', 'isDisjointFrom']) {
  Object.defineProperty(DoneKeys.prototype, name, {
    configurable: true,
    writable: true,
    value(this: DoneKeys, other: unknown): unknown {
      const s = new Set(this) as unknown as Record<string, (o: unknown) => unknown>;
      if (typeof s[name] !== 'function') throw new TypeError(`Set.prototype.${name} is not available in this runtime`);
      return s[name](other);
    },
  });
}
