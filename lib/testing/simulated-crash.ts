import type { ItemKey } from '../index';

/**
 * What `t.run({ throwAt })` throws at the end of the item's body: an ordinary error, as the job's
 * own code could throw. The engine records it as the run's `lastFailure` and saves, as for any
 * error; the run's result has it as `error`.
 *
 * @example
 * ```ts
 * const r = await t.run({ throwAt: 3 });
 * expect(r.error).toBeInstanceOf(InjectedFailure);
 * expect((await t.checkpoint())?.lastFailure?.index).toBe(3);
 * ```
 */
export class InjectedFailure extends Error {
  /** The item (index, or key with the `key` option) it was thrown at. */
  readonly item: ItemKey;

  /** @param item - index or key of the item */
  constructor(item: ItemKey) {
    super(`injected failure at item ${JSON.stringify(item)} (testJob throwAt)`);
    this.name = 'InjectedFailure';
    this.item = item;
  }
}

/**
 * Thrown into the job when the kit kills a run (`killAt`, `killInSaveAt`), so that its code stops;
 * nothing it does afterwards reaches storage. Not seen by tests: the run's result says `killed`.
 * @internal
 */
export class SimulatedKill extends Error {
  constructor(what: string) {
    super(`simulated kill -9 ${what} (testJob)`);
    this.name = 'SimulatedKill';
  }
}
