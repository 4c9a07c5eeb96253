import type { JobDefinition } from './job-definition';
import { resolveBackend, resolveJobName } from './job-definition';
import { makeLogger } from './logger';
import { inspectInput } from './tracked-input';
import { ProgressWriter } from './progress-writer';
import { JobRun } from './job-run';
import { jobContext } from './job-context';
import { watchSignals } from './signals';
import { failureOf } from './run-job';
import { SharedFeed } from './shared-feed';
import { sharedConcurrently, sharedView } from './shared-input';
import type { SharedChunkStore, SharedJobRecord } from '../backends/shared-chunks';
import type { StateBackend } from '../backends/state-backend';
import { MemoryBackend } from '../backends/memory';
import { newDoc } from '../state/checkpoint-doc';
import { FINGERPRINT_ITEMS, itemHash } from '../state/fingerprint';
import { typeName } from '../state/serializer';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { InputChangedError } from '../errors/input-changed-error';
import { withDefaults } from '../config/job-defaults';
import { backendLabel } from '../config/backend-url';

/** Default lease of a claimed chunk (ms). @internal */
export const DEFAULT_LEASE_MS = 30_000;
/** Default retention of a completed shared job's record (ms). @internal */
export const DEFAULT_COMPLETED_TTL_MS = 24 * 60 * 60 * 1000;
/** Default items per chunk. @internal */
export const DEFAULT_CHUNK_SIZE = 100;

/** The chunk store of a backend, or `InvalidOptionsError` naming `workers`. @internal */
export function chunkStoreOf(backend: StateBackend): SharedChunkStore {
  const store = typeof backend.sharedChunks === 'function' ? backend.sharedChunks() : undefined;
  if (!store) {
    throw new InvalidOptionsError(
      'workers',
      `workers: 'shared' needs a backend whose workers can share chunks (RedisBackend, SqlBackend); ${backend.constructor?.name ?? 'this backend'} has no sharedChunks()`,
    );
  }
  return store;
}

/** Refuses to join a job whose record was written for another input. */
function checkRecord(name: string, rec: SharedJobRecord, total: number, chunkSize: number, fingerprint: string[]): void {
  if (rec.total !== total) throw new InputChangedError(name, `the shared job has ${rec.total} items, this worker's input has ${total}`);
  if (rec.chunkSize !== chunkSize) {
    throw new InvalidOptionsError('chunkSize', `chunkSize: the shared job '${name}' was started with chunkSize ${rec.chunkSize}, this worker has ${chunkSize}`);
  }
  const n = Math.min(rec.fingerprint.length, fingerprint.length);
  for (let i = 0; i < n; i++) {
    if (rec.fingerprint[i] !== fingerprint[i]) throw new InputChangedError(name, `item ${i} differs from the one of the worker that started the shared job`);
  }
}

/**
 * Runs one worker of a shared job (`workers: 'shared'`): opens (or joins) the job's record, checks
 * the input against it, then runs the body over the items of the chunks it claims. A worker that
 * starts after the job completed returns `undefined` at once, without running the body.
 *
 * On an error of the body, the completions already made are written, the worker's chunks are given
 * back at once (so another worker can claim them without waiting for the lease; their done items
 * stay done), the failure is stored in the job's record and the error re-thrown unchanged.
 * @internal
 */
export async function runShared(def: JobDefinition, thisArg: unknown, args: unknown[], body: (...a: unknown[]) => unknown): Promise<unknown> {
  const opts = withDefaults(def.options); // configure() fills what the job leaves out
  const name = resolveJobName(def, thisArg);
  const logger = makeLogger(opts.verbose);
  const argIndex = opts.iterableArg ?? 0;
  if (argIndex >= args.length) {
    throw new InvalidOptionsError('iterableArg', `iterableArg: job '${name}' was called with ${args.length} argument(s), so there is no argument ${argIndex} to track`);
  }
  const input = args[argIndex];
  const info = inspectInput(input);
  if (!info) throw new TypeError(`safe-state job '${name}': argument ${argIndex} is not iterable (got ${typeName(input)}); pass an array or an iterable`);
  if (info.kind === 'async' || info.totalItems === null) {
    throw new InvalidOptionsError('workers', `workers: 'shared' needs an input of known size that every worker can index (an array, Set, Map, or an iterable with length/size); job '${name}' got ${typeName(input)}`);
  }
  // positions must mean the same items in every worker: a sized iterable (Set, Map) is read into an array
  const items: readonly unknown[] = Array.isArray(input) ? input : Array.from(input as Iterable<unknown>);
  if (items.length !== info.totalItems) throw new InputChangedError(name, `the input said it has ${info.totalItems} items but yielded ${items.length}`);
  const total = items.length;
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const ttl = opts.completedTtlMs ?? DEFAULT_COMPLETED_TTL_MS;
  const fingerprint: string[] = [];
  for (let i = 0; i < Math.min(FINGERPRINT_ITEMS, total); i++) fingerprint.push(itemHash(items[i]));

  const { backend, owned } = resolveBackend(opts);
  try {
    const store = chunkStoreOf(backend);
    const rec = await store.open(name, { total, chunkSize, fingerprint }, ttl);
    checkRecord(name, rec, total, chunkSize, fingerprint);
    if (rec.complete) {
      logger?.info(`shared job '${name}' is complete already; nothing to do`);
      return undefined;
    }
    logger?.info(`worker joins shared job '${name}' (${total} items in chunks of ${chunkSize}; run #${rec.runCount}; checkpoint ${backendLabel(backend)})`);
    const feed = new SharedFeed(store, name, items, leaseMs, ttl, logger);
    const doc = newDoc(name, null);
    doc.totalItems = total;
    // the per-run document only serves checkpoint()/record() bookkeeping; nothing of it is stored
    const writer = new ProgressWriter(new MemoryBackend(), name, doc, 1, undefined, 'process');
    const run = new JobRun(name, backend, doc, writer, logger, undefined, false, false, { release: async () => undefined });
    run.shared = { concurrently: (limit, fn) => sharedConcurrently(run, feed, limit, fn) };
    const callArgs = args.slice();
    callArgs[argIndex] = sharedView(run, feed, input, items);
    const unwatch = watchSignals({
      interrupted: async () => {
        feed.holdNext(); // the signal ends the process, not the body's end
        await feed.stop().catch(() => undefined);
      },
      ending: () => undefined,
      continuing: () => feed.releaseHold(),
    });
    let result: unknown;
    try {
      result = await jobContext.run(run, () => body.apply(thisArg, callArgs));
    } catch (error) {
      const failure = failureOf(error, run.failureIndex(error));
      await feed.stop().catch((e: unknown) => logger?.warn(`shared job '${name}': could not give the chunks back: ${(e as Error).message}`));
      try {
        await store.recordFailure(name, failure);
      } catch (e) {
        logger?.warn(`shared job '${name}': could not record the failure: ${(e as Error).message}`);
      }
      logger?.info(`'${name}' failed at item ${failure.index ?? '-'}: ${failure.name}: ${failure.message}`);
      throw error;
    } finally {
      unwatch();
      feed.dispose();
    }
    const finished = feed.finished;
    await feed.stop(); // a body that stopped early (break, return) gives its chunks back
    if (finished) logger?.info(`shared job '${name}' complete (${feed.doneCount} items done by this worker)`);
    else logger?.info(`worker of shared job '${name}' stopped before the end (${feed.doneCount} items done by this worker)`);
    return result;
  } finally {
    if (owned) await backend.close();
  }
}
