import { setImmediate as nextTurn } from 'node:timers';
import type { JobRun, TrackedInput } from './job-run';
import type { ProgressWriter } from './progress-writer';
import type { ItemKey } from '../progress/key-progress';
import { activeJob, itemContext } from './job-context';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { typeName } from '../state/serializer';
import { phaseHook } from '../util/test-phase';
import { noteItemStart, publishItemFailed } from '../observe/channels';

/**
 * Processes the job's input with at most `limit` items in flight: `fn(item, index)` is called for
 * every item that is not done yet, and each item counts as done when its callback resolves (items
 * complete out of order). Call it on the tracked argument the job received, instead of a loop:
 *
 * - **Resume.** Done items are not handed to `fn` at all; after a failure or a crash exactly the
 *   missing items run (with the `key` option: the items whose keys are not done).
 * - **Errors.** On the first error (a callback that throws or rejects, a save that fails, a source
 *   that throws) no new item is started; the items in flight are awaited, their completions
 *   saved, and the first error is re-thrown unchanged (later errors of items in flight are
 *   reported through the `verbose` logger only). The job then records `lastFailure` with the
 *   `index` of the item whose callback failed.
 * - **Durability.** With `saveEvery: 1` (the default) an item's slot is given to a new item only once
 *   its completion is saved: a crash repeats at most the `limit` items in flight (see
 *   docs/resume.md). Saves are serialized, one at a time; completions that arrive while a save is
 *   running (on FileBackend with durability 'strict': while its fdatasync is in flight, the event
 *   loop running other items meanwhile) are written together by the next one (group commit).
 *   With `saveEvery: N`, at most N − 1 more.
 * - **Order.** Items are started in input order; callbacks overlap and finish in any order.
 * - **Keys.** With the `key` option, an item whose key is done or already in flight (a duplicate
 *   key in the input) is skipped: each key runs at most once.
 *
 * `fn` runs inside the job, so `record(value)` (with `storeResults`) stores the result of its own
 * item, and `checkpoint(state)` attaches state to the next save.
 *
 * @param items - the tracked argument of the running job (an array, iterable or async iterable)
 * @param limit - maximum number of callbacks in flight (an integer >= 1)
 * @param fn - called with each undone item and its index in the input
 * @returns resolves when every item is done and saved (also with `saveEvery` > 1), rejects with the
 *   first error once the completions of the items that were in flight are saved
 * @throws {@link NoActiveJobError} outside a running job
 * @throws TypeError when `items` is not the job's tracked argument, or `fn` is not a function
 * @throws {@link InvalidOptionsError} (option `limit`) when `limit` is not an integer >= 1
 * @example
 * ```ts
 * class Thumbnails {
 *   @SafeState({ name: 'thumbnails' })
 *   async run(images: Image[]) {
 *     await concurrently(images, 8, async (image) => {
 *       await writeFile(image.thumbPath, await resize(await download(image.url)));
 *     });
 *   }
 * }
 * ```
 */
export async function concurrently<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T, index: number) => unknown,
): Promise<void> {
  const run = activeJob('concurrently');
  const tracked = run.tracked;
  if (tracked === null || tracked.view !== items) throw new TypeError(notTracked(run, items));
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new InvalidOptionsError('limit', `limit: concurrently() needs an integer >= 1 (got ${typeof limit === 'number' ? limit : typeName(limit)})`);
  }
  if (typeof fn !== 'function') throw new TypeError(`concurrently(): the callback must be a function (got ${typeName(fn)})`);
  if (run.shared) return run.shared.concurrently(limit, fn as (item: unknown, index: number) => unknown);
  const inFlight = run.enterConcurrent();
  try {
    await new Pool(run, tracked, limit, fn as (item: unknown, index: number) => unknown, inFlight).process();
  } finally {
    run.leaveConcurrent();
  }
}

function notTracked(run: JobRun, items: unknown): string {
  const where = `safe-state job '${run.name}': concurrently()`;
  if (run.tracked === null) {
    return `${where} needs the job's tracked input, and this job has none (manual mode, autoIterate: false)`;
  }
  return `${where} must be called on the tracked argument the job received (got ${typeName(items)} that is not it): ` +
    'pass the parameter itself, not a copy, a slice, a part of it or the original outside the job';
}

/** One item taken from the input. */
interface Taken {
  index: number;
  item: unknown;
  key: ItemKey | undefined;
}

/** The undone items of the input, in order; `next()` answers null at the end. */
interface Feed {
  next(): Taken | null | Promise<Taken | null>;
  /** stops a source that was not read to its end */
  close(): void | Promise<void>;
}

/**
 * Saves serialized and coalesced: one save at a time; completions that arrive before the pending
 * save starts join it. A save starts one turn of the event loop after it was asked for, so
 * completions of the same turn share it.
 */
class SaveQueue {
  private open: Promise<void> | null = null;
  private last: Promise<void> = Promise.resolve();

  /** @param grouped - whether saves go through {@link ProgressWriter.flushGrouped} (limit > 1: there is something to share) */
  constructor(
    private readonly writer: ProgressWriter,
    private readonly grouped: boolean,
  ) {}

  /** Resolves once a save that started after this call has finished (the caller's marks are in it). */
  request(): Promise<void> {
    if (this.open) return this.open;
    const save = this.last
      .then(() => new Promise<void>((resolve) => nextTurn(resolve)))
      .then(() => {
        if (this.open === save) this.open = null; // marks from now on wait for the next save
        return this.grouped ? this.writer.flushGrouped() : this.writer.flush();
      });
    this.open = save;
    this.last = save.catch(() => undefined);
    return save;
  }
}

class Pool {
  private active = 0;
  private failure: { error: unknown; index: number } | null = null;
  private wake: (() => void) | null = null;
  private readonly keysInFlight: Set<ItemKey> | null;
  private readonly saves: SaveQueue;

  constructor(
    private readonly run: JobRun,
    private readonly input: TrackedInput,
    private readonly limit: number,
    private readonly fn: (item: unknown, index: number) => unknown,
    private readonly inFlight: Set<number>,
  ) {
    this.keysInFlight = run.keyFn ? new Set() : null;
    this.saves = new SaveQueue(run.writer, limit > 1);
  }

  async process(): Promise<void> {
    const feed = this.feed();
    let ended = false;
    try {
      while (this.failure === null) {
        if (this.active >= this.limit) {
          await this.slotFreed();
          continue;
        }
        let taken: Taken | null;
        try {
          const t = feed.next();
          taken = t instanceof Promise ? await t : t;
        } catch (e) {
          ended = true; // a source that threw is finished
          this.fail(e, -1);
          break;
        }
        if (taken === null) {
          ended = true;
          this.run.reachedEnd();
          break;
        }
        if (this.failure !== null) break; // failed while the next item was read: it is not started
        if (this.run.halted) {
          this.fail(this.run.halted.reason, -1); // the job's signal was aborted: no further item starts
          break;
        }
        this.start(taken);
      }
    } finally {
      if (!ended) {
        try {
          await feed.close();
        } catch (e) {
          this.fail(e, -1);
        }
      }
      while (this.active > 0) await this.slotFreed();
    }
    // completions not due for a save yet (saveEvery > 1) are saved before concurrently() returns
    if (this.run.writer.pending) {
      try {
        await this.saves.request();
      } catch (e) {
        this.fail(e, -1);
      }
    }
    if (this.failure !== null) {
      this.run.concurrentFailure = this.failure;
      throw this.failure.error;
    }
  }

  private slotFreed(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private fail(error: unknown, index: number): void {
    if (this.failure === null) this.failure = { error, index };
    else {
      const e = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      try {
        this.run.logger?.warn(`concurrently(): item ${index >= 0 ? index : '-'} failed too, after the first error: ${e}`);
      } catch {
        /* a logger that throws must not turn into an unhandled rejection */
      }
    }
    this.signal();
  }

  private start(t: Taken): void {
    this.active++;
    this.inFlight.add(t.index);
    if (this.keysInFlight) this.keysInFlight.add(t.key!);
    if (!this.run.iterated) this.run.iterated = true;
    this.run.reportSkips();
    noteItemStart(this.run, t.index);
    phaseHook?.('B');
    if (this.run.probe !== null) this.run.probe.started(t.index, t.key);
    void this.one(t);
  }

  /** Runs one item: the callback, then its completion and (when due) the save it waits for. */
  private async one(t: Taken): Promise<void> {
    try {
      try {
        await itemContext.run({ run: this.run, index: t.index, key: t.key }, () => this.fn(t.item, t.index));
      } catch (e) {
        publishItemFailed(this.run, { index: t.index, key: t.key, error: e, tries: 1, action: 'stop' });
        this.fail(e, t.index);
        return;
      }
      const due = this.run.markConcurrent(t.index, t.key);
      this.inFlight.delete(t.index);
      if (this.keysInFlight) this.keysInFlight.delete(t.key!);
      if (due) await this.saves.request();
    } catch (e) {
      this.fail(e, t.index);
    } finally {
      this.inFlight.delete(t.index);
      if (this.keysInFlight) this.keysInFlight.delete(t.key!);
      this.active--;
      this.signal();
    }
  }

  /** Whether an item is done already, or (with `key`) a duplicate of one in flight. */
  private skip(index: number, item: unknown): { key: ItemKey | undefined } | null {
    const run = this.run;
    if (!run.keyFn) {
      if (run.doc.progress.isDone(index)) return null;
      return { key: undefined };
    }
    const key = run.keyOf(item, index);
    if (run.doc.keys!.isDone(key) || this.keysInFlight!.has(key)) {
      run.skipped++;
      return null;
    }
    return { key };
  }

  private feed(): Feed {
    const run = this.run;
    const input = this.input;
    if (input.kind === 'array') {
      const arr = input.view;
      let pos = 0;
      return {
        next: () => {
          if (!run.keyFn) {
            const i = run.doc.progress.nextUndone(pos); // a direct jump over done items
            if (i >= arr.length) return null;
            pos = i + 1;
            return { index: i, item: arr[i], key: undefined };
          }
          while (pos < arr.length) {
            const i = pos++;
            const ok = this.skip(i, arr[i]);
            if (ok) return { index: i, item: arr[i], key: ok.key };
          }
          return null;
        },
        close: () => undefined,
      };
    }
    let index = -1;
    const admit = (item: unknown): Taken | null => {
      const i = ++index;
      run.checkFingerprint(i, item);
      const ok = this.skip(i, item);
      if (!ok && !run.keyFn) run.skipped++; // (key: counted by skip())
      return ok ? { index: i, item, key: ok.key } : null;
    };
    if (input.kind === 'sync') {
      const it = input.source[Symbol.iterator]();
      return {
        next: () => {
          for (;;) {
            const r = it.next();
            if (r.done) return null;
            const t = admit(r.value);
            if (t) return t;
          }
        },
        close: () => {
          it.return?.();
        },
      };
    }
    const it = input.source[Symbol.asyncIterator]();
    return {
      next: async () => {
        for (;;) {
          const r = await it.next();
          if (r.done) return null;
          const t = admit(r.value);
          if (t) return t;
        }
      },
      close: async () => {
        await it.return?.();
      },
    };
  }
}
