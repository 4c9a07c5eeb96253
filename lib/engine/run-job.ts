import type { JobDefinition } from './job-definition';
import { resolveBackend, resolveJobName } from './job-definition';
import { makeLogger, startLiveProgress, emitEngineWarning } from './logger';
import { inspectInput, trackArray, trackAsyncIterable, trackIterable, type InputInfo } from './tracked-input';
import { loadCheckpoint } from './load-checkpoint';
import { installCommittedItems } from './committed-items';
import { recordsOf, type StoredRecord } from '../backends/transactional-records';
import { ProgressWriter } from './progress-writer';
import { JobRun } from './job-run';
import { jobContext } from './job-context';
import { watchSignals } from './signals';
import { captureFields } from './frozen-state';
import { asBackendError } from './backend-call';
import { deleteCompanions } from './companions';
import { currentHolder } from '../backends/lock';
import { newDoc, type CheckpointDoc, type FailureInfo } from '../state/checkpoint-doc';
import { FINGERPRINT_ITEMS, itemHash } from '../state/fingerprint';
import { typeName } from '../state/serializer';
import { keyringFor } from '../state/keyring';
import { Sealer } from '../state/sealer';
import { reviveStored } from './stored-values';
import { KeyProgress } from '../progress/key-progress';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { InputChangedError } from '../errors/input-changed-error';
import { globalRegistry } from '../util/global-registry';
import { runShared } from './shared-run';
import { attachProbe } from './probe-attach';
import { withDefaults } from '../config/job-defaults';
import { backendLabel } from '../config/backend-url';
import { publishItemFailed, publishJobEnd, publishJobStart } from '../observe/channels';
import { hasPolicy, runWithPolicy } from '../policy/run-with-policy';
import type { JobTry } from '../policy/job-try';
import { releaseFailures } from '../policy/item-failures';
import { publishTryOutcome } from '../policy/policy-events';

/** The `lastFailure` record of an error. @internal */
export function failureOf(error: unknown, index: number): FailureInfo {
  const e = error instanceof Error ? error : null;
  return {
    index: index >= 0 ? index : null,
    name: e?.name ?? typeName(error),
    message: e ? e.message : String(error),
    stack: e?.stack ?? null,
    at: new Date().toISOString(),
  };
}

function doneCount(doc: CheckpointDoc): number {
  return doc.keys ? doc.keys.size : doc.progress.size;
}

function progressText(doc: CheckpointDoc): string {
  return `${doneCount(doc)}/${doc.totalItems ?? '?'}`;
}

/** Refuses a resume whose input differs from the checkpoint's (without the `key` option). */
function checkInput(name: string, doc: CheckpointDoc, info: InputInfo | null, input: unknown, keyed: boolean): void {
  if (!!doc.keys !== keyed) {
    throw new InputChangedError(name, `the checkpoint was written ${keyed ? 'without' : 'with'} the 'key' option`);
  }
  if (keyed || !info) return;
  if (doc.totalItems !== null && info.totalItems !== null && doc.totalItems !== info.totalItems) {
    throw new InputChangedError(name, `it had ${doc.totalItems} items, now ${info.totalItems}`);
  }
  if (info.kind !== 'array') return; // other sources are checked while their done items are skipped
  const arr = input as unknown[];
  const n = Math.min(FINGERPRINT_ITEMS, arr.length);
  for (let i = 0; i < n; i++) {
    const stored = doc.fingerprint[i];
    const h = itemHash(arr[i]);
    if (stored != null && doc.progress.isDone(i) && stored !== h) {
      throw new InputChangedError(name, `item ${i} differs from the one processed before`);
    }
    doc.fingerprint[i] = h;
  }
}

function wrapInput(run: JobRun, info: InputInfo, input: unknown): unknown {
  if (info.kind === 'array') return trackArray(run, input as unknown[]);
  if (info.kind === 'sync') return trackIterable(run, input as Iterable<unknown>);
  return trackAsyncIterable(run, input as AsyncIterable<unknown>);
}

/**
 * Runs one call of a job: lock, load, check the input, wrap the tracked argument, run the body with
 * the job in AsyncLocalStorage, then clear the checkpoint on success or record the failure, save,
 * and re-throw the original error unchanged. With `retry`, `signal` or `onItemError`, each call goes through the
 * policy runner, which runs tries of this function with `tries` (see policy/run-with-policy.ts).
 * @internal
 */
export async function runJob(def: JobDefinition, thisArg: unknown, args: unknown[], body: (...a: unknown[]) => unknown, tries?: JobTry): Promise<unknown> {
  const opts = withDefaults(def.options); // configure() fills what the job leaves out
  if (opts.workers === 'shared') return runShared(def, thisArg, args, body);
  if (!tries && hasPolicy(opts)) return runWithPolicy(def, thisArg, args, body, runJob);
  const name = resolveJobName(def, thisArg);
  const logger = makeLogger(opts.verbose);
  const manual = opts.autoIterate === false;
  const argIndex = opts.iterableArg ?? 0;
  let info: InputInfo | null = null;
  if (!manual) {
    if (argIndex >= args.length) {
      throw new InvalidOptionsError('iterableArg', `iterableArg: job '${name}' was called with ${args.length} argument(s), so there is no argument ${argIndex} to track`);
    }
    info = inspectInput(args[argIndex]);
    if (!info) {
      throw new TypeError(`safe-state job '${name}': argument ${argIndex} is not iterable (got ${typeName(args[argIndex])}); pass an array or an (async) iterable, or set 'iterableArg' or 'autoIterate: false'`);
    }
  }
  const keyring = keyringFor(opts);
  const { backend, owned } = resolveBackend(opts);
  const lock = await backend.lock(name, currentHolder());
  let openWriter: ProgressWriter | null = null;
  let started: JobRun | null = null; // once safe-state:job:start is published
  let failure: { error: unknown } | undefined;
  try {
    const where = backend.location(name);
    const records = recordsOf(backend);
    if (records) installCommittedItems();
    const folded: StoredRecord[] = [];
    let doc = await loadCheckpoint(backend, name, keyring, folded);
    let resuming = doc !== null && !doc.complete;
    if (doc?.failed) releaseFailures(doc, tries?.series.firstTry === false); // an earlier call's failed items run again
    const keyed = typeof opts.key === 'function';
    if (doc && resuming) checkInput(name, doc, info, info ? args[argIndex] : undefined, keyed);
    if (!doc || !resuming) {
      const previousRuns = doc?.runCount ?? 0;
      doc = newDoc(name, keyed ? new KeyProgress() : null);
      doc.runCount = previousRuns;
      resuming = false;
      if (info?.kind === 'array' && !keyed) checkInput(name, doc, info, args[argIndex], keyed);
      await deleteCompanions(backend, name); // @Idempotent records of an earlier, finished series of runs
    }
    if (info) doc.totalItems = info.totalItems;
    doc.runCount++;
    doc.complete = false;
    const sealer = keyring ? new Sealer(keyring, name) : null;
    const writer = (openWriter = new ProgressWriter(backend, name, doc, opts.saveEvery ?? 1, opts.saveIntervalMs, opts.durability ?? 'strict', sealer));
    if (opts.syncLoop !== undefined) writer.syncLoop = opts.syncLoop;
    const run = new JobRun(name, backend, doc, writer, logger, opts.key, opts.storeResults === true, manual, lock);
    attachProbe(run, resuming, keyring); // the test kit's, inside testJob() only
    tries?.started(run);
    if (resuming) {
      // live objects are rebuilt (reconnect may be async) before anything is written, so a failing
      // reconnect leaves the checkpoint as it was; frozen fields and results are rebuilt on demand
      if (doc.state !== null) run.resumed = { state: await reviveStored(doc.state, 'state', name, where) };
      run.previous = { frozen: doc.frozenState, results: new Map(doc.results), location: where };
    }
    if (resuming) logger?.info(`resuming '${name}': ${progressText(doc)} done (run #${doc.runCount})`);
    // where it looked: the absolute file path, else the backend's URL without credentials (a run
    // that starts fresh by mistake, say from another working directory, shows it at once)
    else logger?.info(`starting fresh job '${name}' (checkpoint ${where ?? backendLabel(backend)})`);
    // arrays jump over done items without counting them; other sources count while they skip
    if (resuming && !keyed && info?.kind === 'array') run.skipped = doc.progress.size;
    await writer.flush(); // the run is counted before the body starts
    publishJobStart((started = run), backend, resuming);
    if (records && folded.length > 0) {
      // the whole save above holds the items they marked (or they were stale: a fresh start)
      try {
        await records.deleteRecords(folded.map((r) => r.id));
      } catch (e) {
        throw asBackendError(e, `cannot delete the folded item records of job '${name}'`);
      }
    }

    const callArgs = args.slice();
    if (info) callArgs[argIndex] = wrapInput(run, info, args[argIndex]);
    const interval = opts.saveIntervalMs !== undefined ? setInterval(() => {
      if (writer.intervalDue()) writer.flush().catch(() => undefined); // a failing save surfaces at the next item
    }, Math.max(10, Math.min(opts.saveIntervalMs, 1000))) : null;
    interval?.unref();
    const stopLive = manual ? null : startLiveProgress(opts.verbose, name, () => ({ done: doneCount(doc!), total: doc!.totalItems }));
    const unwatch = watchSignals({
      interrupted: async (signal) => {
        doc!.lastFailure = failureOf(Object.assign(new Error(`received ${signal}`), { name: 'Interrupted' }), run.failureIndex());
        writer.markFullDue();
        try {
          await writer.flush();
          logger?.info(`'${name}' interrupted by ${signal}; progress ${progressText(doc!)} saved${where ? ` to ${where}` : ''}`);
        } catch (e) {
          logger?.warn(`'${name}' interrupted by ${signal}; progress could not be saved: ${(e as Error).message}`);
        }
      },
      ending: () => lock.releaseSync?.(),
    });
    let result: unknown;
    try {
      result = await jobContext.run(run, () => body.apply(thisArg, callArgs));
    } catch (error) {
      stopLive?.(); // no redraw between the failure lines
      const failedAt = run.failureIndex(error);
      const inFlight = run.inFlight;
      const inFlightKey = run.inFlightItemKey;
      try {
        await writer.settle();
      } catch {
        /* the failure save below writes everything */
      }
      doc.lastFailure = failureOf(error, failedAt);
      await tries?.failed(error, failedAt, run);
      if (tries) publishTryOutcome(run, tries, error);
      else if (inFlight >= 0) publishItemFailed(run, { index: inFlight, key: inFlightKey, error, tries: 1, action: 'stop' });
      doc.frozenState = captureFields(thisArg, opts.frozen, keyring?.encrypt === true);
      writer.markFullDue();
      logger?.info(`'${name}' failed at item ${failedAt >= 0 ? failedAt : '-'}: ${doc.lastFailure.name}: ${doc.lastFailure.message}`);
      try {
        await writer.flush();
        logger?.info(`progress ${progressText(doc)} saved${where ? ` to ${where}` : ''}`);
      } catch (saveError) {
        logger?.warn(`progress could not be saved after the failure: ${(saveError as Error).message}`);
      }
      throw error;
    } finally {
      if (interval) clearInterval(interval);
      stopLive?.();
      unwatch();
    }
    await writer.settle();
    await tries?.finishing(run); // onItemError 'skip': items failed in this call keep the checkpoint
    if (!manual && !run.iterated) warnNotIterated(name, argIndex, logger);
    if (opts.keepOnSuccess) {
      run.markInFlight(); // returning completes the item in flight
      doc.complete = true;
      writer.markFullDue();
      await writer.flush();
      logger?.info(`job '${name}' complete; checkpoint kept`);
    } else {
      try {
        await deleteCompanions(backend, name);
        await backend.delete(name);
      } catch (e) {
        throw asBackendError(e, `job '${name}' completed but its checkpoint could not be cleared`);
      }
      logger?.info(`job '${name}' complete; checkpoint cleared`);
    }
    return result;
  } catch (error) {
    failure = { error };
    throw error;
  } finally {
    tries?.ended();
    await openWriter?.close(); // the save worker of a for..of, if one was started
    await lock.release();
    if (owned) await backend.close();
    if (started) publishJobEnd(started, failure);
  }
}

function warnNotIterated(name: string, argIndex: number, logger: ReturnType<typeof makeLogger>): void {
  const warned = globalRegistry().warned;
  if (warned.has(name)) return;
  warned.add(name);
  const msg = `job '${name}' never iterated its tracked argument ${argIndex}, so no progress was recorded; iterate it (for..of, for await, forEach) or set 'autoIterate: false'`;
  if (logger) logger.warn(msg);
  else emitEngineWarning(msg, 'SAFE_STATE_NOT_ITERATED');
}
