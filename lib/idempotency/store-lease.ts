import { randomBytes } from 'node:crypto';
import type { StateBackend, Durability } from '../backends/state-backend';
import { currentHolder, type BackendLock, type LockHolder } from '../backends/lock';
import { JobLockedError } from '../errors/job-locked-error';
import { asBackendError } from '../engine/backend-call';

/** Held leases, released synchronously when the process exits. */
const held = new Set<StoreLease>();
let exitHook = false;

function hookExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const l of [...held]) l.releaseSync();
  });
}

/**
 * The pause between two attempts to take a lease. Deliberately not unref()ed, unlike the library's
 * background timers: a caller is awaiting it, and an unref()ed timer would let the process exit in
 * the middle of the wait, silently. It is bounded by `waitMs`.
 */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The right of one process to use an idempotency store that several processes may share: the
 * backend's lock on the store (cross-process with FileBackend, Redis, SQL; in-process only with
 * backends that keep the default lock), held while the store is in use and given back when it
 * has been idle a while, on `close()`, or when the process exits.
 *
 * A store is read once and then kept in memory, so a process that takes the lease again must know
 * whether another process wrote in between. That is what the **stamp** is for: a small entry
 * beside the store (`<store>#lease`) holding a random id, rewritten by every lease that writes,
 * before its first write. A process whose last known id is still there has the current view; any
 * other answer (another id, or none) means "read the store again".
 * @internal
 */
export class StoreLease {
  private lock: BackendLock | null = null;
  /** the stamp id this process last wrote or read; `undefined` before the first lease */
  private known: string | null | undefined = undefined;
  /** whether this lease has written its stamp */
  private stamped = false;
  readonly stampName: string;

  constructor(
    private readonly backend: StateBackend,
    private readonly storeName: string,
    private readonly display: string,
  ) {
    this.stampName = `${storeName}#lease`;
  }

  /** Whether this process holds the lease. */
  get held(): boolean {
    return this.lock !== null;
  }

  /**
   * Takes the lease, waiting up to `waitMs` while another process holds it (then failing with
   * {@link JobLockedError} naming the holder). Answers whether the store may have been written by
   * another process since this one last held it (always true the first time).
   */
  async take(waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    let delay = 10;
    for (;;) {
      try {
        this.lock = await this.backend.lock(this.storeName, currentHolder());
        break;
      } catch (e) {
        if (!JobLockedError.is(e)) throw asBackendError(e, `cannot lock ${this.display}`);
        const left = deadline - Date.now();
        if (left <= 0) throw lockedError(this.storeName, this.display, (e as JobLockedError).holder ?? null, waitMs);
        await sleep(Math.min(delay, left));
        delay = Math.min(delay * 2, 250);
      }
    }
    held.add(this);
    hookExit();
    this.stamped = false;
    try {
      const stamp = parseStamp(await this.backend.load(this.stampName));
      const stale = this.known === undefined || stamp === null || stamp !== this.known;
      this.known = stamp;
      return stale;
    } catch (e) {
      await this.release();
      throw asBackendError(e, `cannot read the lease stamp of ${this.display}`);
    }
  }

  /** Before the first write of a lease: a new stamp, so that other processes read the store again. */
  async beforeWrite(durability: Durability): Promise<void> {
    if (this.stamped) return;
    const id = randomBytes(12).toString('hex');
    const text = JSON.stringify({ 'safestate-idempotency-lease': 1, id, pid: process.pid, at: Date.now() }) + '\n';
    try {
      if (this.backend.saveSync) this.backend.saveSync(this.stampName, text, { durability });
      else await this.backend.save(this.stampName, text, { durability });
    } catch (e) {
      this.known = null; // unknown now: the next lease reads the store again
      throw asBackendError(e, `cannot write the lease stamp of ${this.display}`);
    }
    this.known = id;
    this.stamped = true;
  }

  /** Forgets what this process knew: its next lease reads the store again. */
  forget(): void {
    this.known = undefined;
  }

  /** Gives the lease back. */
  async release(): Promise<void> {
    const lock = this.lock;
    if (!lock) return;
    this.lock = null;
    held.delete(this);
    await lock.release();
  }

  /** Gives the lease back synchronously where the backend's lock can (process exit). */
  releaseSync(): void {
    const lock = this.lock;
    if (!lock) return;
    this.lock = null;
    held.delete(this);
    lock.releaseSync?.();
  }
}

function parseStamp(text: string | null): string | null {
  if (text === null) return null;
  try {
    const o = JSON.parse(text.split('\n', 1)[0]) as { id?: unknown };
    return typeof o?.id === 'string' ? o.id : null;
  } catch {
    return null; // unreadable: treated as "someone else wrote", which is always safe
  }
}

function lockedError(storeName: string, display: string, holder: LockHolder | null, waitMs: number): JobLockedError {
  const e = new JobLockedError(storeName, holder);
  e.message = `${display} is in use by another process${holder ? ` (pid ${holder.pid} on ${holder.host} since ${new Date(holder.since).toISOString()})` : ''} and was not given back within ${waitMs} ms (waitMs)`;
  return e;
}
