import { JobLockedError, MemoryBackend, StateBackend, type BackendLock, type LockHolder } from '../index';

/** The locks of one `testJob()`'s storage: job (or record store) name → the run holding it. @internal */
export type KitLocks = Map<string, { holder: LockHolder; storage: RunStorage }>;

/**
 * What one run of a `testJob()` sees as its storage: the test's own {@link MemoryBackend}, shared by
 * all its runs, behind a switch that simulates the death of the run's process. After
 * {@link RunStorage.die} nothing more of this run reaches the store (writes, deletes and lock
 * releases are dropped, as after `kill -9`), and its locks count as a dead holder's: the next run
 * takes them over at once. A write can also be torn (`killInSaveAt`): it never lands, and the run
 * dies with it.
 * @internal
 */
export class RunStorage extends StateBackend {
  /** whether this run's process is "dead" */
  dead = false;
  /** a job whose next write is the torn one, and what to throw then */
  private tear: { name: string; kill: () => Error } | null = null;

  constructor(
    private readonly store: MemoryBackend,
    private readonly locks: KitLocks,
  ) {
    super();
  }

  /** From now on nothing of this run reaches the store. */
  die(): void {
    this.dead = true;
  }

  /** The next write of job `name` is torn: it does not land, and `kill()` (which ends the run) is thrown. */
  tearNextWrite(name: string, kill: () => Error): void {
    this.tear = { name, kill };
  }

  /** Whether a write of `name` may land; throws when it is the torn one. */
  private lands(name: string): boolean {
    if (this.dead) return false;
    const t = this.tear;
    if (t !== null && t.name === name) {
      this.tear = null;
      throw t.kill();
    }
    return true;
  }

  /** @inheritDoc */
  async load(jobName: string): Promise<string | null> {
    return this.store.load(jobName);
  }

  /** @inheritDoc */
  async save(jobName: string, data: string): Promise<void> {
    this.saveSync(jobName, data);
  }

  /** @inheritDoc */
  override saveSync(jobName: string, data: string): void {
    if (this.lands(jobName)) this.store.saveSync(jobName, data);
  }

  /** @inheritDoc */
  override async append(jobName: string, records: string): Promise<void> {
    this.appendSync(jobName, records);
  }

  /** @inheritDoc */
  override appendSync(jobName: string, records: string): void {
    if (this.lands(jobName)) this.store.appendSync(jobName, records);
  }

  /** @inheritDoc */
  async delete(jobName: string): Promise<void> {
    if (this.lands(jobName)) await this.store.delete(jobName);
  }

  /** @inheritDoc */
  async exists(jobName: string): Promise<boolean> {
    return this.store.exists(jobName);
  }

  /** @inheritDoc */
  override async list(): Promise<string[]> {
    return this.store.list();
  }

  /**
   * Excludes other live runs of the test (two overlapping runs of one job get {@link JobLockedError},
   * as in production); a lock whose run died is taken over at once, like a dead process's.
   * @inheritDoc
   */
  override async lock(jobName: string, holder: LockHolder): Promise<BackendLock> {
    const held = this.locks.get(jobName);
    if (held && !held.storage.dead) throw new JobLockedError(jobName, held.holder);
    const entry = { holder, storage: this as RunStorage };
    this.locks.set(jobName, entry);
    const releaseSync = () => {
      if (!this.dead && this.locks.get(jobName) === entry) this.locks.delete(jobName);
    };
    return { releaseSync, release: async () => releaseSync() };
  }
}
