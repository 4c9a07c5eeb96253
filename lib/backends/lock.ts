import * as os from 'node:os';
import { readFileSync } from 'node:fs';

/**
 * Who holds a job's lock: written into the lock record so a second run can name the holder.
 *
 * @example
 * ```ts
 * try { await job.run(items); }
 * catch (e) { if (JobLockedError.is(e) && e.holder) console.error(`running as pid ${e.holder.pid} on ${e.holder.host}`); }
 * ```
 */
export interface LockHolder {
  /** Process id of the holder. */
  pid: number;
  /** Host name of the holder. */
  host: string;
  /** When the lock was taken (ms since the epoch). */
  since: number;
  /**
   * Start time of the holder process as the OS reports it (Linux: clock ticks since boot), so a
   * reused pid is not mistaken for the holder. `null` where the platform does not tell.
   */
  startTime: number | null;
}

/**
 * A held lock, returned by {@link StateBackend.lock}.
 *
 * @example
 * ```ts
 * override async lock(job: string, holder: LockHolder): Promise<BackendLock> {
 *   const file = `${this.dir}/${hash(job)}.lock`;
 *   fs.writeFileSync(file, JSON.stringify(holder), { flag: 'wx' });   // EEXIST: held (check, then JobLockedError)
 *   const releaseSync = () => fs.rmSync(file, { force: true });
 *   return { releaseSync, release: async () => releaseSync() };
 * }
 * ```
 */
export interface BackendLock {
  /** Releases the lock; safe to call twice. */
  release(): Promise<void>;
  /** Synchronous release, where the backend can (used when the process is about to end). */
  releaseSync?(): void;
}

/** Start time of a process, or null where it cannot be read (non-Linux, or no such process). */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) may contain spaces and parentheses: fields after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]); // field 22 overall
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/** The lock holder record describing this process. */
export function currentHolder(): LockHolder {
  return { pid: process.pid, host: os.hostname(), since: Date.now(), startTime: processStartTime(process.pid) };
}

/**
 * Whether a holder recorded on this host is certainly gone: its pid no longer exists, or the pid was
 * reused by a process that started at another time. Holders on other hosts are never "certainly gone".
 */
export function holderIsDead(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  if (isZombie(holder.pid)) return true; // killed, not reaped yet (containers without an init reap late)
  if (holder.startTime != null) {
    const now = processStartTime(holder.pid);
    if (now != null && now !== holder.startTime) return true;
  }
  return false;
}
