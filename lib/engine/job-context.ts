import { AsyncLocalStorage } from 'node:async_hooks';
import type { JobRun } from './job-run';
import { NoActiveJobError } from '../errors/no-active-job-error';
import { SafeStateError } from '../errors/safe-state-error';
import { serialize } from '../state/serializer';
import { reviveStored } from './stored-values';
import type { ItemKey } from '../progress/key-progress';

const KEY = Symbol.for('safe-state.job-context.v1');
const g = globalThis as unknown as Record<symbol, AsyncLocalStorage<JobRun> | undefined>;
/** The running job, carried through async calls (shared by every loaded copy of safe-state). @internal */
export const jobContext: AsyncLocalStorage<JobRun> = g[KEY] ?? (g[KEY] = new AsyncLocalStorage<JobRun>());

/** The item a `concurrently()` callback runs for: `record()` inside it stores that item's result. @internal */
export interface ItemScope {
  run: JobRun;
  index: number;
  /** the item's key, with the `key` option */
  key: ItemKey | undefined;
}

const ITEM_KEY = Symbol.for('safe-state.item-context.v1');
const gi = globalThis as unknown as Record<symbol, AsyncLocalStorage<ItemScope> | undefined>;
/** The item of the running `concurrently()` callback (shared by every loaded copy of safe-state). @internal */
export const itemContext: AsyncLocalStorage<ItemScope> = gi[ITEM_KEY] ?? (gi[ITEM_KEY] = new AsyncLocalStorage<ItemScope>());

/** The running job, or throws {@link NoActiveJobError} naming `fn`. @internal */
export function activeJob(fn: string): JobRun {
  const run = jobContext.getStore();
  if (!run) throw new NoActiveJobError(fn);
  return run;
}

/**
 * Saves job state. In manual mode (`autoIterate: false`) it persists `state` now and resolves when
 * it counts; in auto mode it attaches `state` to the next progress save. The state is serialized at
 * the call (with devalue and the reconnect registry), so later mutations do not leak into it; a
 * value that cannot be saved throws {@link UnserializableStateError} naming its path.
 * Outside a job it throws {@link NoActiveJobError}.
 *
 * @param state - any serializable value (Map, Set, Date, BigInt, cycles, registered live objects)
 * @example
 * ```ts
 * class Crawl {
 *   @SafeState({ name: 'crawl', autoIterate: false })
 *   async run(start: string) {
 *     const s = resumeState<{ queue: string[]; seen: Set<string> }>() ?? { queue: [start], seen: new Set<string>() };
 *     while (s.queue.length) { await visit(s.queue.shift()!, s); await checkpoint(s); }
 *   }
 * }
 * ```
 */
export async function checkpoint(state?: unknown): Promise<void> {
  const run = activeJob('checkpoint');
  if (state !== undefined) {
    const text = serialize(state, 'state');
    run.doc.state = text;
    run.writer.queueRecord(`s${text}\n`);
  }
  if (run.manual) await run.writer.flush();
}

/**
 * The state saved by `checkpoint()` in the previous run of the running job, or `undefined` on a
 * fresh start. Live objects in it (connections, streams, sockets) were rebuilt by their
 * reconnectors before the body started (see `registerReconnector`). Outside a job it throws
 * {@link NoActiveJobError}.
 * @typeParam T - the state's type (not checked at run time)
 * @example
 * ```ts
 * const page = resumeState<number>() ?? 1;
 * ```
 */
export function resumeState<T = unknown>(): T | undefined {
  const run = activeJob('resumeState');
  return run.resumed?.state as T | undefined;
}

/**
 * The job instance's own fields as the previous run captured them when it failed (its
 * `frozenState`), with their live objects rebuilt by their reconnectors; `undefined` on a fresh
 * start or when the previous run did not fail. Rebuilt on the first call only (later calls answer
 * the same objects), so a job that never asks opens no connection for them: the rebuilt objects
 * are yours to use and close. A field that could not be saved reads `{ unserializable: '<Type>' }`.
 * Outside a job it throws {@link NoActiveJobError}.
 *
 * @typeParam T - the fields' type (not checked at run time)
 * @example
 * ```ts
 * @SafeState({ name: 'import' })
 * async run(rows: Row[]) {
 *   const before = await resumeFrozenState<{ cursor: string }>();
 *   if (before) this.cursor = before.cursor;
 *   for (const row of rows) await this.save(row);
 * }
 * ```
 */
export function resumeFrozenState<T = Record<string, unknown>>(): Promise<T | undefined> {
  const run = activeJob('resumeFrozenState');
  const prev = run.previous;
  if (!prev || prev.frozen === null) return Promise.resolve(undefined);
  const frozen = prev.frozen;
  run.revived.frozen ??= reviveStored(frozen, 'this', run.name, prev.location);
  return run.revived.frozen as Promise<T>;
}

/**
 * The results that earlier runs stored with `record()` (option `storeResults`), by item index (or
 * item key with the `key` option), with live objects rebuilt; an empty map on a fresh start.
 * Rebuilt on the first call only. Outside a job it throws {@link NoActiveJobError}.
 *
 * @typeParam T - the results' type (not checked at run time)
 * @example
 * ```ts
 * @SafeState({ name: 'sizes', storeResults: true })
 * async run(urls: string[]) {
 *   const earlier = await resumeResults<number>();
 *   let total = [...earlier.values()].reduce((a, b) => a + b, 0);
 *   for (const u of urls) { const n = await size(u); record(n); total += n; }
 *   return total;
 * }
 * ```
 */
export function resumeResults<T = unknown>(): Promise<ReadonlyMap<ItemKey, T>> {
  const run = activeJob('resumeResults');
  const prev = run.previous;
  run.revived.results ??= (async () => {
    const out = new Map<ItemKey, unknown>();
    if (!prev) return out;
    for (const [k, text] of prev.results) out.set(JSON.parse(k) as ItemKey, await reviveStored(text, `results[${k}]`, run.name, prev.location));
    return out;
  })();
  return run.revived.results as Promise<ReadonlyMap<ItemKey, T>>;
}

/**
 * Stores the current item's result in the checkpoint (with the `storeResults` option), written
 * incrementally beside the progress record. The value is serialized at the call; a value that
 * cannot be saved throws {@link UnserializableStateError}. Outside a job it throws
 * {@link NoActiveJobError}; outside an item (no item in flight) a {@link SafeStateError} with code
 * `NO_ACTIVE_ITEM`. Without `storeResults` it does nothing. Inside a {@link concurrently} callback it
 * stores the result of that callback's item.
 *
 * @param value - the item's result
 * @example
 * ```ts
 * @SafeState({ name: 'sizes', storeResults: true, keepOnSuccess: true })
 * async run(urls: string[]) { for (const u of urls) record((await fetch(u)).headers.get('content-length')); }
 * ```
 */
export function record(value: unknown): void {
  const run = activeJob('record');
  if (!run.storeResults) return;
  const item = itemContext.getStore();
  const key = item !== undefined && item.run === run ? JSON.stringify(run.keyFn ? item.key : item.index) : run.resultKey();
  if (key === null) throw new SafeStateError('NO_ACTIVE_ITEM', 'record() must be called while an item of the job is being processed');
  run.writer.queueResult(key, serialize(value, `results[${key}]`));
}
