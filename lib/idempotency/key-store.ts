import type { StateBackend, Durability } from '../backends/state-backend';
import { asBackendError } from '../engine/backend-call';
import { CheckpointCorruptError } from '../errors/checkpoint-corrupt-error';
import { StoreLease } from './store-lease';
import { recordsOf, type TransactionalRecords } from '../backends/transactional-records';
import type { Transaction } from '../transaction/transaction';
import {
  decodeStore, encodeDelete, encodeHeader, encodeMark, encodeResult, encodeStore, live, StoreCodecError,
  type StoredResult, type StoreEntries,
} from './store-codec';

/** A compaction (whole rewrite) is due when dead records outnumber both this and the live entries. @internal */
export const COMPACT_MIN_GARBAGE = 1024;
/** A store's lease is given back after this long without use. @internal */
export const LEASE_IDLE_MS = 1000;

/**
 * One persisted set of idempotency keys (marks and `@Idempotent` results) in one backend entry,
 * read once into memory and then kept current by this process's own writes.
 *
 * Writes are incremental: each mark or result is one small record added with the backend's
 * `append` hook (or `appendSync`), after a whole `save` that starts every series of appends (the
 * {@link StateBackend} contract). Dead records (overwritten, deleted, expired) are dropped by a
 * whole rewrite once they outnumber the live entries (amortized O(1) per write). A backend
 * without `append` gets a whole `save` per write (O(entries) each: fine for small sets).
 *
 * Who may use it: either the running job (its lock already excludes other processes: `lease`
 * null), or whoever holds the store's {@link StoreLease}.
 * @internal
 */
export class KeyStore {
  readonly entries: StoreEntries = { marks: new Map(), results: new Map() };
  /** scoped keys of `@Idempotent` calls running in this process → settles when the call ends */
  readonly running = new Map<string, Promise<void>>();
  /** results recorded inside transactions that have not ended yet, by scoped key */
  readonly uncommitted = new Map<string, { tx: Transaction; result: StoredResult }>();
  private readonly sync: boolean;
  private readonly canAppend: boolean;
  private loaded = false;
  private loading: Promise<void> | null = null;
  /** the next write must be a whole save (nothing saved yet in this series, a failed write, a clear) */
  private saveDue = true;
  private garbage = 0;
  private chain: Promise<void> = Promise.resolve();
  private pins = 0;
  private acquiring: Promise<void> | null = null;
  private releasing: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** uses so far (the idle timer compares it with its value when armed) */
  private uses = 0;
  private closeWaiters: (() => void)[] = [];
  /** ids of the transactional records read by the last reload: deleted after the next whole save holds them */
  private folded: string[] = [];

  constructor(
    readonly backend: StateBackend,
    readonly storeName: string,
    /** for messages: `idempotency cache 'x'`, `the @Idempotent records of job 'y'` */
    readonly display: string,
    private readonly lease: StoreLease | null,
  ) {
    this.sync = typeof backend.saveSync === 'function';
    this.canAppend = this.sync ? typeof backend.appendSync === 'function' : typeof backend.append === 'function';
  }

  /** Whether the store is shared between processes through a lease (a cache; not a job's records). */
  get leased(): boolean {
    return this.lease !== null;
  }

  /** Whether this process has read the store at least once (so its backend's table exists). */
  get everLoaded(): boolean {
    return this.loaded;
  }

  /** Resolves when this process may use the store and its view is current; pair with {@link KeyStore.unpin}. */
  async pin(waitMs: number): Promise<void> {
    this.pins++;
    try {
      if (this.lease) {
        if (this.releasing) await this.releasing;
        if (!this.lease.held) await (this.acquiring ??= this.acquire(waitMs).finally(() => (this.acquiring = null)));
      } else if (!this.loaded) {
        await (this.loading ??= this.reload().finally(() => (this.loading = null)));
      }
    } catch (e) {
      this.unpin();
      throw e;
    }
  }

  /** {@link KeyStore.pin} when that needs no waiting (the store is ready in this process); false otherwise. */
  tryPin(): boolean {
    if (this.lease ? !this.lease.held || this.releasing !== null || this.acquiring !== null : !this.loaded) return false;
    this.pins++;
    return true;
  }

  /** The end of a use started by {@link KeyStore.pin}. */
  unpin(): void {
    if (--this.pins > 0 || !this.lease) return;
    this.uses++;
    if (this.closeWaiters.length > 0) {
      void this.releaseNow();
      return;
    }
    if (!this.idleTimer && this.lease.held) this.armIdle();
  }

  /** Gives the lease back once a whole period passed without use (so after 1 to 2 periods of idleness). */
  private armIdle(): void {
    const usesAtArm = this.uses;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pins > 0 || !this.lease?.held) return;
      if (this.uses !== usesAtArm) this.armIdle();
      else void this.releaseNow();
    }, LEASE_IDLE_MS);
    this.idleTimer.unref();
  }

  private async acquire(waitMs: number): Promise<void> {
    const stale = await this.lease!.take(waitMs);
    try {
      if (stale || !this.loaded) await this.reload();
    } catch (e) {
      await this.lease!.release();
      throw e;
    }
  }

  private releaseNow(): Promise<void> {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    return (this.releasing ??= (async () => {
      try {
        await this.chain;
        await this.lease?.release();
      } catch {
        /* a lock that cannot be released is taken over once this process is gone */
      } finally {
        this.releasing = null;
        for (const w of this.closeWaiters.splice(0)) w();
      }
    })());
  }

  /** Gives the lease back as soon as no call uses the store (jobs' stores: nothing to do). */
  close(): Promise<void> {
    if (!this.lease || (!this.lease.held && !this.acquiring)) return this.releasing ?? Promise.resolve();
    if (this.pins === 0 && !this.acquiring) return this.releaseNow();
    return new Promise((r) => this.closeWaiters.push(r));
  }

  /** Reads the whole store into memory. */
  private async reload(): Promise<void> {
    let text: string | null;
    try {
      text = await this.backend.load(this.storeName);
      // results recorded inside transactions (exactly-once) follow the stored text, as appended records would
      const records = recordsOf(this.backend);
      const rows = records ? await records.readRecords(this.storeName, true) : [];
      this.folded = rows.map((r) => r.id);
      if (rows.length > 0) text = (text ?? encodeHeader(this.storeName)) + rows.map((r) => r.record).join('');
    } catch (e) {
      throw asBackendError(e, `cannot load ${this.display}`);
    }
    this.entries.marks.clear();
    this.entries.results.clear();
    this.garbage = 0;
    this.saveDue = true;
    this.loaded = false;
    if (text !== null) {
      try {
        if (typeof text !== 'string') throw new StoreCodecError(1, `the backend returned ${typeof text} instead of text`);
        this.garbage = decodeStore(text, this.storeName, Date.now(), this.entries);
      } catch (e) {
        this.entries.marks.clear();
        this.entries.results.clear();
        if (e instanceof StoreCodecError) {
          const where = this.backend.location(this.storeName);
          const location = `${where ? where + ' ' : ''}(record ${e.line})`;
          const err = new CheckpointCorruptError(this.storeName, location, e.message);
          err.message = `${this.display} at ${location} is unreadable: ${e.message}`;
          throw err;
        }
        throw e;
      }
    }
    this.loaded = true;
  }

  /** Whether `key` is marked and not expired (the store must be pinned). */
  hasMark(key: string): boolean {
    const exp = this.entries.marks.get(key);
    if (exp === undefined) return false;
    if (exp === 0 || live(exp, Date.now())) return true;
    this.entries.marks.delete(key);
    this.garbage++;
    return false;
  }

  /** The live result recorded for a scoped key (the store must be pinned). */
  result(key: string): StoredResult | undefined {
    const r = this.entries.results.get(key);
    if (r === undefined) return undefined;
    if (live(r.expires, Date.now())) return r;
    this.entries.results.delete(key);
    this.garbage++;
    return undefined;
  }

  /** Marks `key` (pinned). */
  mark(key: string, expires: number, durability: Durability): Promise<void> {
    const before = this.entries.marks.get(key);
    this.entries.marks.set(key, expires);
    if (before !== undefined) this.garbage++;
    return this.write(encodeMark(key, expires), durability, () => {
      if (before === undefined) this.entries.marks.delete(key);
      else this.entries.marks.set(key, before);
    });
  }

  /** Records the result of a scoped `@Idempotent` key (pinned). */
  putResult(key: string, result: StoredResult, durability: Durability): Promise<void> {
    const before = this.entries.results.get(key);
    this.entries.results.set(key, result);
    if (before !== undefined) this.garbage++;
    return this.write(encodeResult(key, result), durability, () => {
      if (before === undefined) this.entries.results.delete(key);
      else this.entries.results.set(key, before);
    });
  }

  /** Deletes a mark (pinned); answers whether it was there. */
  async unmark(key: string, durability: Durability): Promise<boolean> {
    const before = this.entries.marks.get(key);
    if (before === undefined) return false;
    this.entries.marks.delete(key);
    this.garbage += 2;
    await this.write(encodeDelete(key), durability, () => this.entries.marks.set(key, before));
    return live(before, Date.now());
  }

  /** Deletes everything (pinned). */
  async clear(durability: Durability): Promise<void> {
    await this.lease?.beforeWrite(durability);
    await this.chain;
    try {
      await this.backend.delete(this.storeName);
    } catch (e) {
      throw asBackendError(e, `cannot clear ${this.display}`);
    }
    this.entries.marks.clear();
    this.entries.results.clear();
    this.garbage = 0;
    this.saveDue = true;
  }

  /** Deletes the transactional records a whole save now holds (best effort: they are idempotent). */
  private async dropFolded(): Promise<void> {
    const ids = this.folded;
    this.folded = [];
    try {
      await recordsOf(this.backend)?.deleteRecords(ids);
    } catch {
      /* left for a later fold; reading them again changes nothing */
    }
  }

  /**
   * The participant of `tx` through which a result can be recorded inside it (the store's backend
   * shares that participant's connection), or null.
   */
  sharedParticipant(tx: Transaction): { records: TransactionalRecords; participant: unknown } | null {
    const records = recordsOf(this.backend);
    if (!records) return null;
    const participant = records.sharedParticipant(tx.participants);
    return participant === undefined ? null : { records, participant };
  }

  /**
   * Writes a result record through `tx` (pinned): it commits or rolls back with the transaction.
   * Memory is not changed: the caller publishes the result when the transaction commits
   * ({@link KeyStore.publishResult}).
   */
  async putResultInTransaction(tx: Transaction, via: { records: TransactionalRecords; participant: unknown }, key: string, result: StoredResult, durability: Durability): Promise<void> {
    if (this.lease) await this.lease.beforeWrite(durability); // other processes must read the store again
    try {
      await via.records.addRecord(via.participant, tx.of(via.participant), this.storeName, encodeResult(key, result));
    } catch (e) {
      throw asBackendError(e, `cannot record a result in ${this.display} inside the transaction`);
    }
  }

  /** Memory learns a result that is durable already (a committed transaction wrote it). */
  publishResult(key: string, result: StoredResult): void {
    if (this.entries.results.has(key)) this.garbage++;
    this.entries.results.set(key, result);
  }

  /** Memory may be wrong (a transaction partially committed): the next pin reads the store again. */
  invalidate(): void {
    if (this.lease) this.lease.forget();
    else this.loaded = false;
  }

  private compactionDue(): boolean {
    return this.garbage > COMPACT_MIN_GARBAGE && this.garbage > this.entries.marks.size + this.entries.results.size;
  }

  /** Writes one record (or the whole store), in order; `undo` reverts memory when it fails. */
  private write(record: string, durability: Durability, undo: () => void): Promise<void> {
    const options = { durability };
    const run = async () => {
      if (this.lease) await this.lease.beforeWrite(durability);
      const whole = this.saveDue || !this.canAppend || this.compactionDue();
      try {
        if (whole) {
          const text = encodeStore(this.storeName, this.entries, Date.now());
          if (this.sync) this.backend.saveSync!(this.storeName, text, options);
          else await this.backend.save(this.storeName, text, options);
          this.saveDue = false;
          this.garbage = 0;
          if (this.folded.length > 0) await this.dropFolded();
        } else if (this.sync) this.backend.appendSync!(this.storeName, record, options);
        else await this.backend.append!(this.storeName, record, options);
      } catch (e) {
        this.saveDue = true; // an append may be torn: the next write rewrites the whole store
        throw asBackendError(e, `cannot save ${this.display}`);
      }
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p.catch((e: unknown) => {
      undo();
      throw e;
    });
  }
}
