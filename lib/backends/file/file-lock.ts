import * as fs from 'node:fs';
import * as os from 'node:os';
import * as lockfile from 'proper-lockfile';
import type { BackendLock, LockHolder } from '../lock';
import { holderIsDead } from '../lock';
import { JobLockedError } from '../../errors/job-locked-error';
import { BackendError } from '../../errors/backend-error';
import { startHeartbeat, stopHeartbeat } from './heartbeat';

/**
 * proper-lockfile's own staleness and refresh are switched off (a stale time of 12 days): they are
 * timer-driven, so a synchronous loop body could let the lock look stale to a second process on the
 * same host. Liveness is judged from the owner record instead: same host → is the pid alive with the
 * same start time; other host → is the owner file's heartbeat (touched from a worker thread) recent.
 */
const PROPER_LOCKFILE_STALE = 2 ** 30;
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
    const holder = JSON.parse(fs.readFileSync(ownerFile, 'utf8')) as LockHolder;
    return { holder, heartbeat: fs.statSync(ownerFile).mtimeMs };
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

async function acquire(file: string, lockDir: string, options: FileLockOptions): Promise<() => Promise<void>> {
  return lockfile.lock(file, {
    realpath: false,
    lockfilePath: lockDir,
    stale: PROPER_LOCKFILE_STALE,
    retries: 0,
    onCompromised: (err) => options.warn(`lock of ${file} was taken over by another process: ${err.message}`),
  });
}

/**
 * Takes the lock of one checkpoint file with proper-lockfile (`<file>.lock` directory) and records
 * the holder in `<file>.lock/owner.json`.
 * @internal
 */
export async function lockFile(file: string, jobName: string, holder: LockHolder, options: FileLockOptions): Promise<BackendLock> {
  const lockDir = `${file}.lock`;
  const ownerFile = `${lockDir}/owner.json`;
  let release: () => Promise<void>;
  for (let attempt = 0; ; attempt++) {
    try {
      release = await acquire(file, lockDir, options);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw new BackendError(`cannot lock ${file}: ${(e as Error).message}`, { cause: e });
      const owner = readOwner(ownerFile);
      let dead: boolean;
      if (owner) {
        dead = holderIsDead(owner.holder) || (owner.holder.host !== os.hostname() && Date.now() - owner.heartbeat > options.staleMs);
      } else {
        let age = 0;
        try {
          age = Date.now() - fs.statSync(lockDir).mtimeMs;
        } catch {
          age = Infinity; // gone meanwhile: just retry
        }
        dead = age > OWNERLESS_GRACE_MS;
      }
      if (!dead || attempt >= 2) throw new JobLockedError(jobName, owner?.holder ?? null);
      breakLock(lockDir);
    }
  }
  fs.writeFileSync(ownerFile, JSON.stringify(holder), { mode: 0o600 });
  startHeartbeat(ownerFile, Math.max(250, Math.min(5_000, Math.floor(options.staleMs / 3))));
  let released = false;
  const releaseSync = () => {
    if (released) return false;
    released = true;
    stopHeartbeat(ownerFile);
    try {
      fs.unlinkSync(ownerFile);
    } catch {
      /* already gone */
    }
    return true;
  };
  return {
    releaseSync: () => {
      if (!releaseSync()) return;
      try {
        lockfile.unlockSync(file, { realpath: false, lockfilePath: lockDir });
      } catch {
        /* released already, or taken over: the directory is not ours to remove */
      }
    },
    release: async () => {
      if (!releaseSync()) return;
      await release().catch(() => undefined); // taken over meanwhile: not ours to remove
    },
  };
}
