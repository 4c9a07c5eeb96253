import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackendLock, LockHolder } from '../lock';
import { holderIsDead } from '../lock';
import { JobLockedError } from '../../errors/job-locked-error';
import { BackendError } from '../../errors/backend-error';
import { startHeartbeat, stopHeartbeat } from './heartbeat';
import { readNoFollowSync, writeNewFileSync } from './no-follow';
import { makeLockDir, removeLockDir } from './lock-dir';

/**
 * The lock directory (lock-dir.ts) has no staleness of its own: timer-driven staleness would let a
 * synchronous loop body make the lock look stale to a second process on the same host. Liveness is
 * judged from the owner record instead: same host → is the pid alive with the same start time;
 * other host → is the owner file's heartbeat (touched from a worker thread) recent.
 */
/** A lock directory without an owner record younger than this is being taken right now. */
const OWNERLESS_GRACE_MS = 5_000;

/** @internal */
export interface FileLockOptions {
  /** A holder on another host whose heartbeat is older than this is taken over. */
  staleMs: number;
  /** Warnings (a lock lost to a takeover). */
  warn: (message: string) => void;
}

function readOwner(ownerFile: string): { holder: LockHolder; heartbeat: number } | null {
  try {
    const holder = JSON.parse(readNoFollowSync(ownerFile)) as LockHolder;
    return { holder, heartbeat: fs.lstatSync(ownerFile).mtimeMs };
  } catch {
    return null;
  }
}

function breakLock(lockDir: string): void {
  const aside = `${lockDir}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    fs.renameSync(lockDir, aside); // atomic: of two breakers, one moves the lock
  } catch {
    return;
  }
  fs.rmSync(aside, { recursive: true, force: true });
}

/** Makes the lock directory (throws an `ELOCKED` error when it exists); answers its release. */
function acquire(lockDir: string): () => Promise<void> {
  makeLockDir(lockDir);
  return async () => removeLockDir(lockDir);
}

let claimCounter = 0;

/** Claim files `<file>.lock.claim-<pid>-<n>` of processes taking the lock right now. */
function claimants(lockDir: string): LockHolder[] {
  const dir = path.dirname(lockDir);
  const prefix = `${path.basename(lockDir)}.claim-`;
  const out: LockHolder[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.startsWith(prefix)) continue;
    try {
      out.push(JSON.parse(readNoFollowSync(path.join(dir, e))) as LockHolder);
    } catch {
      /* half-written by a process that died: no live claimant */
    }
  }
  return out;
}

/** Whether no process with this pid exists (on this host). */
function pidIsGone(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes what dead claimants of this lock left beside it: claim files
 * (`<lockDir>.claim-<pid>-<n>`) of processes killed between writing the claim and moving it into
 * the lock, and lock directories moved aside (`<lockDir>.stale-<pid>-<r>`) by a breaker killed
 * before it removed them. Called by the holder right after taking the lock. A leftover goes when
 * its pid (from its name, or the holder record inside) is gone, when the record names a process
 * that is gone (a reused pid is told apart by its start time), or when it is older than the lock's
 * stale time (a live claimant's claim lives for milliseconds: an old one is a dead claimant's whose
 * pid was reused). Claims of other hosts go by age only.
 */
function removeDeadLeftovers(lockDir: string, staleMs: number, now = Date.now()): void {
  const dir = path.dirname(lockDir);
  const base = path.basename(lockDir);
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = /^\.(claim|stale)-(\d+)-[A-Za-z0-9]+$/.exec(e.slice(base.length));
    if (!e.startsWith(base) || !m) continue;
    const p = path.join(dir, e);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue; // gone meanwhile
    }
    let holder: LockHolder | null = null;
    if (m[1] === 'claim' && st.isFile()) {
      try {
        holder = JSON.parse(readNoFollowSync(p)) as LockHolder;
      } catch {
        /* half-written: judged by the pid in its name */
      }
    }
    const otherHost = holder !== null && typeof holder.host === 'string' && holder.host !== os.hostname();
    const old = now - st.mtimeMs > staleMs;
    const gone = !otherHost && (pidIsGone(Number(m[2])) || (holder !== null && holderIsDead(holder)));
    if (!gone && !old) continue;
    if (st.isDirectory()) fs.rmSync(p, { recursive: true, force: true });
    else removeQuietly(p);
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    /* gone already */
  }
}

/**
 * Takes the lock of one checkpoint file (the `<file>.lock` directory, made by one mkdir: lock-dir.ts) and records
 * the holder in `<file>.lock/owner.json`. The holder record is written as a claim file beside the
 * lock before the directory is made and moved into it afterwards, and a release moves the whole
 * directory aside before removing it: so a lock directory without an owner always has a claimant,
 * and a claimant that died is noticed at once.
 * @internal
 */
export async function lockFile(file: string, jobName: string, holder: LockHolder, options: FileLockOptions): Promise<BackendLock> {
  const lockDir = `${file}.lock`;
  const ownerFile = `${lockDir}/owner.json`;
  const claim = `${lockDir}.claim-${process.pid}-${++claimCounter}`; // one per attempt, also within a process
  let release: () => Promise<void>;
  for (let attempt = 0; ; attempt++) {
    try {
      writeNewFileSync(claim, JSON.stringify(holder)); // O_EXCL | O_NOFOLLOW: never through a planted link
    } catch (e) {
      throw new BackendError(`cannot lock ${file}: cannot write ${claim}: ${(e as Error).message}`, { cause: e });
    }
    try {
      release = acquire(lockDir);
      break;
    } catch (e) {
      removeQuietly(claim);
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw new BackendError(`cannot lock ${file}: ${(e as Error).message}`, { cause: e });
      const owner = readOwner(ownerFile);
      let dead: boolean;
      let named: LockHolder | null = owner?.holder ?? null;
      if (owner) {
        dead = holderIsDead(owner.holder) || (owner.holder.host !== os.hostname() && Date.now() - owner.heartbeat > options.staleMs);
      } else {
        // no owner yet: is the process that made the directory still moving its claim in?
        const live = claimants(lockDir).filter((c) => !holderIsDead(c));
        named = live[0] ?? null;
        let age = 0;
        try {
          age = Date.now() - fs.statSync(lockDir).mtimeMs;
        } catch {
          age = Infinity; // gone meanwhile: just retry
        }
        dead = live.length === 0 || (live.every((c) => c.host !== os.hostname()) && age > OWNERLESS_GRACE_MS);
      }
      if (!dead || attempt >= 2) throw new JobLockedError(jobName, named);
      breakLock(lockDir);
    }
  }
  try {
    fs.renameSync(claim, ownerFile); // into the directory we just made: nothing else can be at the name
  } catch (e) {
    removeQuietly(claim);
    await release().catch(() => undefined);
    throw new BackendError(`cannot lock ${file}: cannot record the owner in ${ownerFile}: ${(e as Error).message}`, { cause: e });
  }
  removeDeadLeftovers(lockDir, options.staleMs);
  startHeartbeat(ownerFile, Math.max(250, Math.min(5_000, Math.floor(options.staleMs / 3))));
  let released = false;
  /** Moves the directory (with its owner record) aside at once, if it is still ours. */
  const releaseSync = () => {
    if (released) return false;
    released = true;
    stopHeartbeat(ownerFile);
    const owner = readOwner(ownerFile);
    if (owner && owner.holder.pid === holder.pid && owner.holder.since === holder.since) breakLock(lockDir);
    return true;
  };
  return {
    releaseSync: () => {
      if (!releaseSync()) return;
      try {
        removeLockDir(lockDir);
      } catch {
        /* the directory is gone already (moved aside), or was taken over: not ours to remove */
      }
    },
    release: async () => {
      if (!releaseSync()) return;
      await release().catch(() => undefined);
    },
  };
}
