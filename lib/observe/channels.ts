import * as dc from 'node:diagnostics_channel';
import type { CheckpointDoc } from '../state/checkpoint-doc';
import type { ItemKey } from '../progress/key-progress';
import { globalRegistry } from '../util/global-registry';
import { clock } from './clock';
import type { ItemDoneMessage, ItemFailedMessage, ItemRetryMessage, JobEndMessage, JobStartMessage, SaveMessage } from './messages';

/**
 * The names of safe-state's `node:diagnostics_channel` channels. Subscribe with
 * `diagnostics_channel.subscribe(name, listener)`; each message's shape is documented on its type
 * ({@link JobStartMessage}, {@link ItemDoneMessage}, {@link ItemFailedMessage},
 * {@link ItemRetryMessage}, {@link SaveMessage}, {@link JobEndMessage}) and in
 * docs/observability.md. Nothing is built or published while a channel has no subscriber.
 *
 * Listeners run synchronously inside the job (keep them short); a listener that throws does not
 * disturb the job, Node reports its error as an uncaught exception.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { SAFE_STATE_CHANNELS, type ItemDoneMessage } from 'safe-state';
 *
 * subscribe(SAFE_STATE_CHANNELS.itemDone, (message) => {
 *   const m = message as ItemDoneMessage;
 *   console.log(`${m.job} #${m.run}: item ${m.index} done in ${m.durationMs} ms (${m.done}/${m.total ?? '?'})`);
 * });
 * ```
 */
export const SAFE_STATE_CHANNELS = Object.freeze({
  /** `safe-state:job:start` ({@link JobStartMessage}) */
  jobStart: 'safe-state:job:start',
  /** `safe-state:item:done` ({@link ItemDoneMessage}) */
  itemDone: 'safe-state:item:done',
  /** `safe-state:item:failed` ({@link ItemFailedMessage}) */
  itemFailed: 'safe-state:item:failed',
  /** `safe-state:item:retry` ({@link ItemRetryMessage}) */
  itemRetry: 'safe-state:item:retry',
  /** `safe-state:save` ({@link SaveMessage}) */
  save: 'safe-state:save',
  /** `safe-state:job:end` ({@link JobEndMessage}) */
  jobEnd: 'safe-state:job:end',
} as const);

// one Channel object per name for the whole process (diagnostics_channel keeps them by name), held
// here so that `hasSubscribers` is a property read on the hot path
const jobStart = dc.channel(SAFE_STATE_CHANNELS.jobStart);
const itemDone = dc.channel(SAFE_STATE_CHANNELS.itemDone);
const itemFailed = dc.channel(SAFE_STATE_CHANNELS.itemFailed);
const itemRetry = dc.channel(SAFE_STATE_CHANNELS.itemRetry);
const save = dc.channel(SAFE_STATE_CHANNELS.save);
const jobEnd = dc.channel(SAFE_STATE_CHANNELS.jobEnd);

/** What the publish helpers read of a run (the engine's `JobRun` is one). @internal */
export interface ObservedRun {
  readonly name: string;
  readonly doc: CheckpointDoc;
}

/** What this module remembers of a run, keyed by its checkpoint document. */
interface RunRecord {
  runId: number;
  /** `clock.now()` at the start of the call */
  startedAt: number;
  /** `clock.now()` at which each item in flight was handed out, while item channels have subscribers */
  items: Map<number, number> | null;
}

const runs = new WeakMap<CheckpointDoc, RunRecord>();

function recordOf(doc: CheckpointDoc): RunRecord {
  let r = runs.get(doc);
  if (!r) {
    const g = globalRegistry();
    r = { runId: (g.observedRuns = (g.observedRuns ?? 0) + 1), startedAt: clock.now(), items: null };
    runs.set(doc, r);
  }
  return r;
}

function doneOf(doc: CheckpointDoc): number {
  return doc.keys ? doc.keys.size : doc.progress.size;
}

// Messages are written out field by field, not spread from a common part: V8 (Node 20) builds an
// object literal with a spread more than a hundred times slower than a plain one.

/**
 * A call of a job starts its body: remembers when (for `job:end`'s duration, whoever listens) and
 * publishes `safe-state:job:start` when someone listens.
 * @internal
 */
export function publishJobStart(run: ObservedRun, backend: object, resumed: boolean): void {
  recordOf(run.doc).startedAt = clock.now();
  if (!jobStart.hasSubscribers) return;
  const message: JobStartMessage = {
    job: run.name,
    run: run.doc.runCount,
    runId: recordOf(run.doc).runId,
    resumed,
    done: doneOf(run.doc),
    total: run.doc.totalItems,
    backend: backend.constructor?.name ?? 'StateBackend',
    startedAt: Date.now(),
  };
  jobStart.publish(message);
}

/**
 * A call of a job ended (after its last save and its lock's release): publishes
 * `safe-state:job:end` when someone listens.
 * @param failure - `{ error }` when the call rejects with `error`, else undefined
 * @internal
 */
export function publishJobEnd(run: ObservedRun, failure: { error: unknown } | undefined): void {
  if (!jobEnd.hasSubscribers) return;
  const r = recordOf(run.doc);
  const message: JobEndMessage = {
    job: run.name,
    run: run.doc.runCount,
    runId: r.runId,
    outcome: failure ? 'failed' : 'completed',
    done: doneOf(run.doc),
    total: run.doc.totalItems,
    durationMs: clock.now() - r.startedAt,
  };
  if (failure) message.error = failure.error;
  jobEnd.publish(message);
}

/**
 * An item is handed to the body: its start time is noted when the item channels have subscribers
 * (nothing is done otherwise).
 * @internal
 */
export function noteItemStart(run: ObservedRun, index: number): void {
  // small enough to be inlined where the engine calls it: unobserved, an item costs the two reads
  if (itemDone.hasSubscribers || itemFailed.hasSubscribers) startItem(run.doc, index);
}

function startItem(doc: CheckpointDoc, index: number): void {
  const r = recordOf(doc);
  (r.items ??= new Map()).set(index, clock.now());
}

/** Milliseconds since the item's start was noted (and forgets it), or null when it was not. */
function itemDuration(doc: CheckpointDoc, index: number): number | null {
  const items = runs.get(doc)?.items;
  const t = items?.get(index);
  if (t === undefined) return null;
  items!.delete(index);
  return clock.now() - t;
}

/**
 * Item `index` (key `key`) is done: publishes `safe-state:item:done` when someone listens. The
 * engine calls it once per item, on the hot path: without a subscriber it reads one property.
 * @internal
 */
export function publishItemDone(run: ObservedRun, index: number, key: ItemKey | undefined): void {
  if (itemDone.hasSubscribers) sendItemDone(run, index, key); // inlined where the engine calls it
}

function sendItemDone(run: ObservedRun, index: number, key: ItemKey | undefined): void {
  const message: ItemDoneMessage = {
    job: run.name,
    run: run.doc.runCount,
    runId: recordOf(run.doc).runId,
    index,
    key,
    done: doneOf(run.doc),
    total: run.doc.totalItems,
    durationMs: itemDuration(run.doc, index),
  };
  itemDone.publish(message);
}

/** What the caller of {@link publishItemFailed} knows of the failure. @internal */
export interface ItemFailure {
  index: number;
  key: ItemKey | undefined;
  error: unknown;
  /** tries of the item in all (1 without retries) */
  tries: number;
  /** `'stop'`: the job stops on this error; `'skip'`: it is recorded as failed and the job goes on */
  action: 'stop' | 'skip';
}

/**
 * An item failed for good (no try left): publishes `safe-state:item:failed` when someone listens.
 * Called by the engine when a job stops on an item's error, and by a skip policy for an item it
 * records as failed; not for a try that will be retried (see {@link publishItemRetry}).
 * @internal
 */
export function publishItemFailed(run: ObservedRun, failure: ItemFailure): void {
  if (!itemFailed.hasSubscribers) return;
  const message: ItemFailedMessage = {
    job: run.name,
    run: run.doc.runCount,
    runId: recordOf(run.doc).runId,
    index: failure.index,
    key: failure.key,
    error: failure.error,
    tries: failure.tries,
    action: failure.action,
    done: doneOf(run.doc),
    total: run.doc.totalItems,
    durationMs: itemDuration(run.doc, failure.index),
  };
  itemFailed.publish(message);
}

/** What the caller of {@link publishItemRetry} knows of the retry. @internal */
export interface ItemRetry {
  /** null when the body failed outside an item */
  index: number | null;
  key: ItemKey | undefined;
  /** the error of the try that failed */
  error: unknown;
  /** number of the try that failed (1 for the first) */
  tries: number;
  /** tries allowed in all (`retry.attempts`) */
  attempts: number;
  /** milliseconds until the next try */
  delayMs: number;
}

/**
 * A try of an item failed and will be repeated after `delayMs`: publishes `safe-state:item:retry`
 * when someone listens (called by the retry policy).
 * @internal
 */
export function publishItemRetry(run: ObservedRun, retry: ItemRetry): void {
  if (!itemRetry.hasSubscribers) return;
  const message: ItemRetryMessage = {
    job: run.name,
    run: run.doc.runCount,
    runId: recordOf(run.doc).runId,
    index: retry.index,
    key: retry.key,
    error: retry.error,
    tries: retry.tries,
    attempts: retry.attempts,
    delayMs: retry.delayMs,
  };
  itemRetry.publish(message);
}

/**
 * Before a write to the backend: the time to measure it from, or -1 when nobody listens to
 * `safe-state:save` (then {@link publishSave} is not to be called).
 * @internal
 */
export function saveStarted(): number {
  return save.hasSubscribers ? clock.now() : -1;
}

/**
 * A write that {@link saveStarted} timed ended: publishes `safe-state:save`.
 * @param job - the job's name
 * @param doc - the run's checkpoint document
 * @param startedAt - what {@link saveStarted} answered
 * @param write - what was written (`full`: the whole checkpoint, else one appended record)
 * @param failure - `{ error }` when the write failed
 * @internal
 */
export function publishSave(job: string, doc: CheckpointDoc, startedAt: number, write: { full: boolean; text: string }, failure?: { error: unknown }): void {
  if (startedAt < 0 || !save.hasSubscribers) return;
  const message: SaveMessage = {
    job,
    run: doc.runCount,
    runId: recordOf(doc).runId,
    kind: write.full ? 'full' : 'append',
    bytes: Buffer.byteLength(write.text),
    done: doneOf(doc),
    durationMs: clock.now() - startedAt,
  };
  if (failure) message.error = failure.error;
  save.publish(message);
}
