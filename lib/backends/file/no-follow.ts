import * as fs from 'node:fs';

/**
 * Opening files of the state directory without ever following a symbolic link.
 *
 * The names safe-state uses there are predictable (`<job>.safestate.<pid>.tmp`, the pid is
 * published in the lock's owner record; `<job>.safestate.lock.claim-<pid>-<n>`), so a link planted
 * at one of them must not redirect a write to another file. New files are therefore created with
 * `O_CREAT | O_EXCL | O_NOFOLLOW` (the call fails if anything, a link included, is at the name:
 * {@link createExclusiveSync} unlinks what is there first, which removes a link, not its target),
 * and existing files are opened with `O_NOFOLLOW` (a link at the name fails with `ELOOP`).
 * On platforms without `O_NOFOLLOW` (Windows) the flag is 0, and `O_EXCL` still refuses links.
 * @internal
 */
const { O_CREAT, O_EXCL, O_WRONLY, O_RDONLY, O_APPEND } = fs.constants;
/** `O_NOFOLLOW`, or 0 where the platform has none. @internal */
export const O_NOFOLLOW: number = fs.constants.O_NOFOLLOW ?? 0;
/** `O_DIRECTORY`, or 0 where the platform has none. @internal */
const O_DIRECTORY: number = fs.constants.O_DIRECTORY ?? 0;

/** Mode of every file safe-state writes. @internal */
export const FILE_MODE = 0o600;

/**
 * Creates `file` (0600) for writing and answers its descriptor. Whatever is at the name already (a
 * stale file of a dead process with the same pid, a planted link) is unlinked first; if something
 * appears again before the exclusive create, the call fails (`EEXIST`) instead of using it.
 * @internal
 */
export function createExclusiveSync(file: string): number {
  unlinkQuietly(file);
  return fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, FILE_MODE);
}

/** Writes `text` to a new file (see {@link createExclusiveSync}), all of it. @internal */
export function writeNewFileSync(file: string, text: string): void {
  const fd = createExclusiveSync(file);
  try {
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a checkpoint file for appending (created 0600 when missing); a link at the name fails with `ELOOP`. @internal */
export function openAppendSync(file: string): number {
  return fs.openSync(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, FILE_MODE);
}

/**
 * Appends `text` to an existing file (never creating it) without following a link at its name
 * (`ELOOP`); a missing file is `ENOENT`.
 * @internal
 */
export function appendExistingSync(file: string, text: string): void {
  const fd = fs.openSync(file, O_WRONLY | O_APPEND | O_NOFOLLOW);
  try {
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flags to read an existing file without following a link at its name. @internal */
export const READ_NOFOLLOW = O_RDONLY | O_NOFOLLOW;

/** Reads a whole file as UTF-8 without following a link at its name. @internal */
export function readNoFollowSync(file: string): string {
  const fd = fs.openSync(file, READ_NOFOLLOW);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a directory (to fsync it) without following a link at its name. @internal */
export function openDirSync(dir: string): number {
  return fs.openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
}

/** Unlinks `file` if it is there (a link is removed, never its target). @internal */
export function unlinkQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    /* not there */
  }
}
