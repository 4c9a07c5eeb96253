import type { JobRun } from './job-run';
import type { SharedFeed, SharedItem } from './shared-feed';
import { itemContext } from './job-context';
import { phaseHook } from '../util/test-phase';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

function syncRefused(run: JobRun): never {
  throw new TypeError(
    `safe-state job '${run.name}' runs with workers: 'shared': iterate its input with 'for await' or concurrently() ` +
      '(claiming a chunk waits for the backend, which a plain for..of step cannot do)',
  );
}

/**
 * The async iterator of a shared job's input: each `next()` first writes the completion of the
 * item in flight (fenced by its chunk's lease), then hands out the next item of a held chunk.
 */
function sharedIterator(run: JobRun, feed: SharedFeed): AsyncIterableIterator<unknown> {
  let inFlight: SharedItem | null = null;
  return {
    async next(): Promise<IteratorResult<unknown>> {
      if (inFlight) {
        const t = inFlight;
        inFlight = null;
        run.inFlight = -1;
        await feed.done(t);
      }
      const t = await feed.next();
      if (!t) {
        run.reachedEnd();
        return DONE;
      }
      if (!run.iterated) run.iterated = true;
      inFlight = t;
      run.inFlight = t.index;
      phaseHook?.('B');
      return { done: false, value: t.item };
    },
    async return(v?: unknown): Promise<IteratorResult<unknown>> {
      if (inFlight) feed.abandon(inFlight); // left by break or a throw: not done
      inFlight = null;
      return { done: true, value: v };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * What the body of a shared job receives: for an array, a copy whose `for await` iteration goes
 * through the chunks this worker claims (index access and the other methods are those of a plain
 * array); for another iterable, an async iterable. Sync iteration is refused with a `TypeError`.
 * @internal
 */
export function sharedView(run: JobRun, feed: SharedFeed, input: unknown, items: readonly unknown[]): object {
  const refuse = () => syncRefused(run);
  const iterate = () => sharedIterator(run, feed);
  if (Array.isArray(input)) {
    const arr = input.slice();
    for (const [key, value] of [
      [Symbol.iterator, refuse], ['values', refuse], ['entries', refuse], ['forEach', refuse], [Symbol.asyncIterator, iterate],
    ] as const) {
      Object.defineProperty(arr, key, { value, writable: true, configurable: true, enumerable: false });
    }
    run.tracked = { kind: 'array', view: arr };
    return arr;
  }
  const view = { [Symbol.iterator]: refuse, [Symbol.asyncIterator]: iterate };
  run.tracked = { kind: 'sync', view, source: items };
  return view;
}

/**
 * `concurrently()` inside a shared job: up to `limit` items of the claimed chunks in flight, each
 * completion written (fenced, coalesced per chunk) before its slot takes a new item. On the first
 * error no new item starts; the items in flight are awaited and the error re-thrown.
 * @internal
 */
export async function sharedConcurrently(run: JobRun, feed: SharedFeed, limit: number, fn: (item: unknown, index: number) => unknown): Promise<void> {
  let active = 0;
  let failure: { error: unknown; index: number } | null = null;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const slot = () => new Promise<void>((resolve) => (wake = resolve));
  const fail = (error: unknown, index: number) => {
    if (failure === null) failure = { error, index };
    else run.logger?.warn(`concurrently(): item ${index} failed too, after the first error: ${(error as Error)?.message ?? String(error)}`);
    signal();
  };
  const one = async (t: SharedItem) => {
    try {
      try {
        await itemContext.run({ run, index: t.index, key: undefined }, () => fn(t.item, t.index));
      } catch (e) {
        feed.abandon(t);
        fail(e, t.index);
        return;
      }
      await feed.done(t);
    } catch (e) {
      fail(e, t.index);
    } finally {
      run.concurrentItems?.delete(t.index);
      active--;
      signal();
    }
  };
  const inFlight = run.enterConcurrent();
  try {
    while (failure === null) {
      if (active >= limit) {
        await slot();
        continue;
      }
      let t: SharedItem | null;
      try {
        t = await feed.next();
      } catch (e) {
        fail(e, -1);
        break;
      }
      if (t === null) {
        run.reachedEnd();
        break;
      }
      if (failure !== null) {
        feed.abandon(t);
        break;
      }
      active++;
      inFlight.add(t.index);
      if (!run.iterated) run.iterated = true;
      phaseHook?.('B');
      void one(t);
    }
    while (active > 0) await slot();
  } finally {
    run.leaveConcurrent();
  }
  if (failure !== null) {
    run.concurrentFailure = failure;
    throw (failure as { error: unknown }).error;
  }
}
