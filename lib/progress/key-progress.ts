/**
 * An item identity for the `key` option: what a job resumes by instead of the item's position.
 *
 * @example
 * ```ts
 * @SafeState({ name: 'welcome-emails', key: (user: User): ItemKey => user.id })
 * async run(users: User[]) { ... }
 * ```
 */
export type ItemKey = string | number;

/**
 * Done item identities, for jobs with the `key` option: a set of keys, with the keys marked since
 * the last save kept apart so a save writes only them.
 * @internal
 */
export class KeyProgress {
  readonly keys = new Set<ItemKey>();
  private pending: ItemKey[] = [];

  isDone(key: ItemKey): boolean {
    return this.keys.has(key);
  }

  get size(): number {
    return this.keys.size;
  }

  markDone(key: ItemKey): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.pending.push(key);
    return true;
  }

  /** Marks a key not done again (the CLI's `reset`); returns whether it was done. */
  markUndone(key: ItemKey): boolean {
    return this.keys.delete(key);
  }

  get hasPending(): boolean {
    return this.pending.length !== 0;
  }

  /** The keys marked since the last call, as JSON text (`''` when none). */
  takeDelta(): string {
    if (this.pending.length === 0) return '';
    const t = JSON.stringify(this.pending);
    this.pending = [];
    return t;
  }

  clearPending(): void {
    this.pending = [];
  }

  /** Applies a JSON array of keys (a delta record or a snapshot). */
  applyKeys(text: string): void {
    const arr = JSON.parse(text) as unknown;
    if (!Array.isArray(arr)) throw new Error('key list is not an array');
    for (const k of arr) {
      if (typeof k !== 'string' && typeof k !== 'number') throw new Error('a key is neither string nor number');
      this.keys.add(k);
    }
  }

  toJSON(): ItemKey[] {
    return [...this.keys];
  }
}
