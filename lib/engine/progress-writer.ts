import type { StateBackend, WriteOptions } from '../backends/state-backend';
import type { CheckpointDoc } from '../state/checkpoint-doc';
import { encodeFull, encodeResult } from '../state/checkpoint-codec';
import type { Sealer } from '../state/sealer';
import { asBackendError } from './backend-call';
import { BlockingChannel, type NoChannel } from '../backends/blocking/blocking-channel';
import { onAsyncSaveInForOf, type SyncLoopPolicy } from './sync-loop-warning';
import { publishSave, saveStarted } from '../observe/channels';

/** A full rewrite (compaction) after this many appended records... @internal */
export const COMPACT_RECORDS = 4096;
/**
 * ...or this many appended bytes. When the last full rewrite was larger (a large key set, many
 * stored results), the limits grow with it: as many appended bytes as that rewrite had, and one
 * record per {@link COMPACT_BYTES_PER_RECORD} bytes of it. A rewrite then costs O(1) amortized per
 * appended byte, and the journal stays below about twice its compact size.
 * @internal
 */
export const COMPACT_BYTES = 1 << 20;
/** See {@link COMPACT_BYTES}. @internal */
export const COMPACT_BYTES_PER_RECORD = 32;

/**
 * Decides when and how progress reaches the backend. Completions are counted here (O(1)); a due
 * save writes one small record (`append`) when the backend can, else the whole compact checkpoint
 * (`save`), and compacts the journal now and then. Writes go through the backend's synchronous
 * hooks when it has them (no event-loop hop, and possible inside a plain `for..of` step); else they
 * are chained so they land in order.
 * @internal
 */
export class ProgressWriter {
  /** whether the backend can write synchronously */
  readonly sync: boolean;
  private readonly canAppend: boolean;
  /** durability of the job's writes (also used for its `@Idempotent` records) */
  readonly writeOptions: WriteOptions;
  /** whether {@link ProgressWriter.flushGrouped} appends asynchronously (group commit) */
  private readonly grouped: boolean;
  private sinceSave = 0;
  private lastSaveAt = Date.now();
  private appended = 0;
  private appendedBytes = 0;
  private maxAppended = COMPACT_RECORDS;
  private maxAppendedBytes = COMPACT_BYTES;
  private fullDue = true;
  private extra = '';
  private chain: Promise<void> = Promise.resolve();
  private backgroundError: unknown = undefined;
  /** saves through a worker that a plain `for..of` waits for (opened at its first step); null when none can be */
  private blocking: BlockingChannel | null | undefined = undefined;
  /** writes on this thread's connection not finished yet (a blocking save must not overtake them) */
  private mainWrites = 0;
  /** the `syncLoop` option: what a plain `for..of` does when it cannot wait for the saves */
  syncLoop: SyncLoopPolicy = 'warn';

  constructor(
    private readonly backend: StateBackend,
    private readonly jobName: string,
    private readonly doc: CheckpointDoc,
    private readonly saveEvery: number,
    private readonly saveIntervalMs: number | undefined,
    durability: WriteOptions['durability'],
    /** signs (and encrypts) what is written, when the job has a secret */
    private readonly sealer: Sealer | null = null,
  ) {
    this.sync = typeof backend.saveSync === 'function';
    this.canAppend = this.sync ? typeof backend.appendSync === 'function' : typeof backend.append === 'function';
    this.writeOptions = { durability };
    this.grouped = this.sync && this.canAppend && durability === 'strict' && typeof backend.append === 'function';
  }

  /** Counts one completion; true when a save is due. */
  due(): boolean {
    if (++this.sinceSave >= this.saveEvery) return true;
    return this.saveIntervalMs !== undefined && Date.now() - this.lastSaveAt >= this.saveIntervalMs;
  }

  /** Whether anything waits to be written. */
  get pending(): boolean {
    return this.fullDue || this.extra !== '' || this.doc.progress.hasPending || (this.doc.keys?.hasPending ?? false);
  }

  /** Whether something besides progress marks waits to be written (a whole rewrite, state, fingerprints). */
  get hasOtherThanProgress(): boolean {
    return this.fullDue || this.extra !== '';
  }

  /** Whether the time-based save interval has passed with something pending. */
  intervalDue(): boolean {
    return this.saveIntervalMs !== undefined && this.pending && Date.now() - this.lastSaveAt >= this.saveIntervalMs;
  }

  /** The next write must be the whole checkpoint (start of a run, a failure, changed fingerprint). */
  markFullDue(): void {
    this.fullDue = true;
  }

  /** Queues a record other than progress (state `s`, fingerprint `f`). */
  queueRecord(line: string): void {
    if (this.canAppend) this.extra += line;
    else this.fullDue = true;
  }

  /** Queues a stored result. */
  queueResult(key: string, text: string): void {
    this.doc.results.set(key, text);
    this.queueRecord(encodeResult(key, text));
  }

  private build(): { full: boolean; text: string } | null {
    const now = Date.now();
    this.sinceSave = 0;
    this.lastSaveAt = now;
    if (!this.fullDue && this.canAppend && this.appended < this.maxAppended && this.appendedBytes < this.maxAppendedBytes) {
      const idx = this.doc.progress.takeDelta();
      const keys = this.doc.keys?.takeDelta() ?? '';
      let text = this.extra;
      this.extra = '';
      if (idx !== '') text += `+${idx} ${now}\n`;
      if (keys !== '') text += `k${keys} ${now}\n`;
      if (text === '') return null;
      if (idx !== '' || keys !== '') this.doc.updatedAt = now;
      this.appended++;
      this.appendedBytes += text.length;
      return { full: false, text: this.sealer ? this.sealer.sealRecords(text) : text };
    }
    this.doc.updatedAt = now;
    this.doc.progress.clearPending();
    this.doc.keys?.clearPending();
    this.extra = '';
    this.fullDue = false;
    this.appended = 0;
    this.appendedBytes = 0;
    const full = encodeFull(this.doc);
    this.maxAppended = Math.max(COMPACT_RECORDS, full.length / COMPACT_BYTES_PER_RECORD);
    this.maxAppendedBytes = Math.max(COMPACT_BYTES, full.length);
    return { full: true, text: this.sealer ? this.sealer.sealFull(full) : full };
  }

  private rethrowBackground(): void {
    if (this.backgroundError !== undefined) {
      const e = this.backgroundError;
      this.backgroundError = undefined;
      throw e;
    }
  }

  /**
   * A plain `for..of` (or `forEach`) takes its first step. A backend that cannot write synchronously
   * gets a worker that saves while the loop waits (see {@link BlockingChannel}), started now so that
   * it connects while the body runs its first item; a backend without one (a user's whose `save`
   * returns a promise, or no worker file in an application bundle) gets a one-time warning, and its
   * saves run in the background as before; with `syncLoop: 'refuse'`, an InvalidOptionsError
   * instead (thrown again at each later attempt).
   */
  enterSyncLoop(): void {
    if (this.sync || this.blocking !== undefined) return;
    const c: BlockingChannel | NoChannel = BlockingChannel.open(this.backend, this.jobName);
    if (c instanceof BlockingChannel) this.blocking = c;
    else {
      onAsyncSaveInForOf(this.backend, this.jobName, c, this.syncLoop);
      this.blocking = null;
    }
  }

  /** The worker channel when it can take this write, else null. */
  private channel(): BlockingChannel | null {
    const c = this.blocking;
    return c && !c.broken ? c : null;
  }

  /**
   * Writes what is pending now, synchronously when the backend can, or through the save worker
   * while the caller waits; otherwise starts the write in the background (a plain `for..of` step
   * cannot await) and reports its failure at the next call.
   */
  flushSync(): void {
    this.rethrowBackground();
    const c = this.sync ? null : this.channel();
    if (c && this.mainWrites === 0) {
      const w = this.build();
      if (!w) return;
      const t0 = saveStarted();
      try {
        c.callSync(w.full ? 'save' : 'append', w.text, this.writeOptions.durability);
      } catch (e) {
        this.fullDue = true; // what this write carried is only in memory now
        publishSave(this.jobName, this.doc, t0, w, { error: e });
        throw asBackendError(e, `cannot save the checkpoint of job '${this.jobName}'`);
      }
      publishSave(this.jobName, this.doc, t0, w);
      return;
    }
    if (!this.sync) {
      this.chain = this.chain.then(() => this.writeAsync()).catch((e) => {
        this.backgroundError = e;
      });
      return;
    }
    const w = this.build();
    if (!w) return;
    const t0 = saveStarted();
    try {
      if (w.full) this.backend.saveSync!(this.jobName, w.text, this.writeOptions);
      else this.backend.appendSync!(this.jobName, w.text, this.writeOptions);
    } catch (e) {
      this.fullDue = true; // what this write carried is only in memory now
      publishSave(this.jobName, this.doc, t0, w, { error: e });
      throw asBackendError(e, `cannot save the checkpoint of job '${this.jobName}'`);
    }
    publishSave(this.jobName, this.doc, t0, w);
  }

  /** Writes what is pending and resolves when it counts. */
  async flush(): Promise<void> {
    if (this.sync) return this.flushSync();
    this.rethrowBackground();
    const next = this.chain.then(() => this.writeAsync());
    this.chain = next.catch(() => undefined);
    await next;
    this.rethrowBackground();
  }

  /**
   * {@link ProgressWriter.flush} for `concurrently()`: with durability 'strict' and a backend that can
   * also append asynchronously (FileBackend), the write goes through `append`, so the event loop
   * keeps running item bodies while the fdatasync is in flight, and the completions that arrive
   * meanwhile share the next one (group commit). Resolves when the write counts.
   */
  async flushGrouped(): Promise<void> {
    if (!this.grouped) return this.flush();
    this.rethrowBackground();
    const next = this.chain.then(() => this.writeAsync());
    this.chain = next.catch(() => undefined);
    await next;
  }

  /** Waits for background writes (used before the final save of a run). */
  async settle(): Promise<void> {
    await this.chain;
    this.rethrowBackground();
  }

  /** Ends the save worker, if a `for..of` started one (at the end of the run). */
  async close(): Promise<void> {
    const c = this.blocking;
    this.blocking = null;
    if (c) await c.close();
  }

  private async writeAsync(): Promise<void> {
    const w = this.build();
    if (!w) return;
    const c = this.channel();
    const t0 = saveStarted();
    try {
      if (c) await c.callAsync(w.full ? 'save' : 'append', w.text, this.writeOptions.durability);
      else {
        this.mainWrites++;
        try {
          if (w.full) await this.backend.save(this.jobName, w.text, this.writeOptions);
          else await this.backend.append!(this.jobName, w.text, this.writeOptions);
        } finally {
          this.mainWrites--;
        }
      }
    } catch (e) {
      this.fullDue = true; // what this write carried is only in memory now
      publishSave(this.jobName, this.doc, t0, w, { error: e });
      throw asBackendError(e, `cannot save the checkpoint of job '${this.jobName}'`);
    }
    publishSave(this.jobName, this.doc, t0, w);
  }
}
