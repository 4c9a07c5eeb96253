import type { JobRun } from './job-run';

/** What the engine knows about the tracked argument before the body runs. @internal */
export interface InputInfo {
  totalItems: number | null;
  kind: 'array' | 'sync' | 'async';
}

/** @internal */
export function isSyncIterable(v: unknown): v is Iterable<unknown> {
  return v != null && typeof (v as Record<symbol, unknown>)[Symbol.iterator] === 'function';
}

/** @internal */
export function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v != null && typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';
}

/** Kind and size of an input, or null when it is not iterable. @internal */
export function inspectInput(v: unknown): InputInfo | null {
  if (Array.isArray(v)) return { totalItems: v.length, kind: 'array' };
  if (typeof v === 'string') return null; // a string is iterable, but never what a job means
  const kind = isSyncIterable(v) ? 'sync' : isAsyncIterable(v) ? 'async' : null;
  if (!kind) return null;
  const o = v as { length?: unknown; size?: unknown };
  const n = typeof o.size === 'number' ? o.size : typeof o.length === 'number' ? o.length : null;
  return { totalItems: n !== null && Number.isSafeInteger(n) && n >= 0 ? n : null, kind };
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Next index at or after `from` that is not done (direct jump without `key`). */
function nextIndex(run: JobRun, arr: readonly unknown[], from: number): number {
  if (!run.keyFn) return run.doc.progress.nextUndone(from);
  let i = from;
  while (i < arr.length && run.isDone(i, arr[i])) {
    run.skipped++;
    i++;
  }
  return i;
}

/** The step both array iterators share: hand out the next undone item, or end. */
function arrayStepper<T>(run: JobRun, arr: readonly unknown[], value: (i: number) => T): () => IteratorResult<T> {
  let pos = 0;
  return () => {
    const i = nextIndex(run, arr, pos);
    if (i >= arr.length) {
      run.reachedEnd();
      return DONE as IteratorResult<T>;
    }
    pos = i + 1;
    run.begin(i, arr[i]);
    return { done: false, value: value(i) };
  };
}

function arrayIterator<T>(run: JobRun, arr: readonly unknown[], value: (i: number) => T): IterableIterator<T> {
  const step = arrayStepper(run, arr, value);
  return {
    next(): IteratorResult<T> {
      run.finishSync();
      return step();
    },
    return(v?: unknown): IteratorResult<T> {
      run.iterationClosed();
      return { done: true, value: v as T };
    },
    [Symbol.iterator]() {
      return this;
    },
  };
}

function arrayAsyncIterator<T>(run: JobRun, arr: readonly unknown[]): AsyncIterableIterator<T> {
  const step = arrayStepper(run, arr, (i) => arr[i] as T);
  return {
    // not an async function: one promise per step, none for the save when it was synchronous
    next(): Promise<IteratorResult<T>> {
      try {
        const saving = run.finishAsync();
        return saving ? saving.then(step) : Promise.resolve(step());
      } catch (e) {
        return Promise.reject(e);
      }
    },
    async return(v?: unknown): Promise<IteratorResult<T>> {
      run.iterationClosed();
      return { done: true, value: v as T };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * A copy of the array whose iteration (`for..of`, `for await`, `forEach`, `entries`, `values`) is
 * tracked: done items are skipped (a direct jump to the first undone index), and an item counts as
 * done when the body asks for the next one. Index access, `length` and the other methods are those
 * of a plain array.
 * @internal
 */
export function trackArray<T>(run: JobRun, source: readonly T[]): T[] {
  const arr = source.slice();
  const define = (key: PropertyKey, value: unknown) => Object.defineProperty(arr, key, { value, writable: true, configurable: true, enumerable: false });
  const values = () => arrayIterator<T>(run, arr, (i) => arr[i]);
  define(Symbol.iterator, values);
  define('values', values);
  define('entries', () => arrayIterator<[number, T]>(run, arr, (i) => [i, arr[i]]));
  define(Symbol.asyncIterator, () => arrayAsyncIterator<T>(run, arr));
  define('forEach', function forEach(cb: (item: T, index: number, array: T[]) => void, thisArg?: unknown) {
    if (typeof cb !== 'function') throw new TypeError(`${String(cb)} is not a function`);
    const it = arrayIterator<number>(run, arr, (i) => i);
    for (let r = it.next(); !r.done; r = it.next()) cb.call(thisArg, arr[r.value], r.value, arr);
  });
  run.tracked = { kind: 'array', view: arr };
  return arr;
}

/**
 * Skips done items of a source without random access. The first items are compared with the
 * input fingerprint while they are skipped, before the body gets any item.
 */
function admit(run: JobRun, index: number, item: unknown): boolean {
  run.checkFingerprint(index, item);
  if (run.isDone(index, item)) {
    run.skipped++;
    return false;
  }
  run.begin(index, item);
  return true;
}

/**
 * A tracked view of a sync iterable: iterable again (sync), and async-iterable too so that a
 * `for await` loop waits for each save.
 * @internal
 */
export function trackIterable<T>(run: JobRun, source: Iterable<T>): Iterable<T> & AsyncIterable<T> {
  const view = trackedIterable(run, source);
  run.tracked = { kind: 'sync', view, source };
  return view;
}

function trackedIterable<T>(run: JobRun, source: Iterable<T>): Iterable<T> & AsyncIterable<T> {
  const open = () => {
    const it = source[Symbol.iterator]();
    let index = -1;
    const pull = (): IteratorResult<T> => {
      for (;;) {
        const r = it.next();
        if (r.done) {
          run.reachedEnd();
          return r;
        }
        if (admit(run, ++index, r.value)) return r;
      }
    };
    const close = (v?: unknown): IteratorResult<T> => {
      run.iterationClosed();
      it.return?.();
      return { done: true, value: v as T };
    };
    return { it, pull, close };
  };
  return {
    [Symbol.iterator](): Iterator<T> {
      const { pull, close } = open();
      return {
        next: () => {
          run.finishSync();
          return pull();
        },
        return: close,
      };
    },
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const { pull, close } = open();
      return {
        next: async () => {
          await run.finishAsync();
          return pull();
        },
        return: async (v?: unknown) => close(v),
      };
    },
  };
}

/**
 * A tracked view of an async iterable (async generators, streams).
 * @internal
 */
export function trackAsyncIterable<T>(run: JobRun, source: AsyncIterable<T>): AsyncIterable<T> {
  const view = trackedAsyncIterable(run, source);
  run.tracked = { kind: 'async', view, source };
  return view;
}

function trackedAsyncIterable<T>(run: JobRun, source: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const it = source[Symbol.asyncIterator]();
      let index = -1;
      return {
        next: async () => {
          await run.finishAsync();
          for (;;) {
            const r = await it.next();
            if (r.done) {
              run.reachedEnd();
              return r;
            }
            if (admit(run, ++index, r.value)) return r;
          }
        },
        return: async (v?: unknown) => {
          run.iterationClosed();
          await it.return?.();
          return { done: true, value: v as T };
        },
      };
    },
  };
}
