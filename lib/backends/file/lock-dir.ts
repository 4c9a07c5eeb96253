import * as fs from 'node:fs';

/**
 * The lock directory of a FileBackend job (`<file>.lock`): made with one `mkdir`, which succeeds
 * for exactly one process. This is the part of proper-lockfile the lock used (no retries, no
 * staleness of its own: file-lock.ts judges a holder by its owner record and heartbeat), without
 * loading proper-lockfile, graceful-fs, retry and signal-exit before a resumed job's first item
 * (about a third of the lock's cost at start-up: docs/benchmarks.md).
 * @internal
 */

/** An error with the code `ELOCKED`: the lock directory exists (another holder, or its remains). */
export class LockDirTaken extends Error {
  readonly code = 'ELOCKED';
  constructor(lockDir: string) {
    super(`Lock file is already being held: ${lockDir}`);
  }
}

/**
 * Makes the lock directory (0700); throws {@link LockDirTaken} when it exists, or the `mkdir`
 * error (the state directory is missing, not writable).
 * @internal
 */
export function makeLockDir(lockDir: string): void {
  try {
    fs.mkdirSync(lockDir, 0o700);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new LockDirTaken(lockDir);
    throw e;
  }
}

/** Removes the lock directory if it is still there and empty (moved aside or taken over: not ours). @internal */
export function removeLockDir(lockDir: string): void {
  try {
    fs.rmdirSync(lockDir);
  } catch {
    /* gone already, or another holder's now */
  }
}
