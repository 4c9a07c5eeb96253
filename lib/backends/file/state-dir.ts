import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackendError } from '../../errors/backend-error';
import { writeNewFileSync } from './no-follow';

/** Mode of the state directory and of every parent directory safe-state creates for it. */
const DIR_MODE = 0o700;

/**
 * Content of the `.gitignore` written into a state directory safe-state creates: checkpoints hold
 * job state (and, for failed runs, instance fields), so `git add -A` must not pick them up.
 */
const GITIGNORE = '# written by safe-state: checkpoints are not source\n*\n';

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** A BackendError naming the directory; permission errors (`EACCES`, `EPERM`) say so in words. */
function dirError(action: string, dir: string, e: unknown): BackendError {
  const code = errnoOf(e);
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? `permission denied (${code}): this user (uid ${process.getuid?.() ?? '?'}) may not do that there; choose a writable directory (stateDir, SAFE_STATE_DIR) or fix its permissions`
      : (e as Error).message;
  return new BackendError(`cannot ${action} the state directory ${dir}: ${why}`, { cause: e });
}

/** `lstat` of `p`, or null when nothing is there; anything else is a BackendError. */
function lstatOrNull(p: string, dir: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null;
    throw dirError('inspect', dir, e);
  }
}

/**
 * Creates the missing directories down to `dir`, one `mkdir` at a time (0700 each; not Node's
 * recursive mkdir, which loops forever where mkdir answers ENOENT under an existing parent, as in
 * `/proc`). When this call made `dir` itself, writes its `.gitignore`. Another process creating
 * the same directory at the same instant is fine (it writes the `.gitignore` then).
 */
function create(dir: string): void {
  const missing: string[] = [];
  for (let p = dir; lstatOrNull(p, dir) === null; ) {
    missing.unshift(p);
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const p of missing) {
    try {
      fs.mkdirSync(p, { mode: DIR_MODE });
    } catch (e) {
      if (errnoOf(e) === 'EEXIST') continue;
      throw dirError('create', dir, e);
    }
    if (p === dir) {
      try {
        writeNewFileSync(path.join(dir, '.gitignore'), GITIGNORE);
      } catch (e) {
        throw dirError('write .gitignore into', dir, e);
      }
    }
  }
}

/**
 * Makes sure `dir` (absolute) is a state directory safe-state may write to, creating it (0700,
 * with a `.gitignore` holding `*`) when missing. An existing one is refused with a
 * {@link BackendError} naming it and the fix when it is a symbolic link, not a directory, owned
 * by another user, or writable by group or others (anyone who can write there could plant files
 * or links at the predictable names of a job's files, or replace its checkpoint). Permission
 * errors are BackendErrors naming the directory too.
 * @internal
 */
export function prepareStateDir(dir: string): void {
  let st = lstatOrNull(dir, dir);
  if (st === null) {
    create(dir);
    st = lstatOrNull(dir, dir);
    if (st === null) throw new BackendError(`cannot create the state directory ${dir}: it vanished right after it was made`);
  }
  if (st.isSymbolicLink()) {
    throw new BackendError(
      `the state directory ${dir} is a symbolic link; safe-state does not follow a link for its state directory: use the real directory (${realpathOr(dir)}) as stateDir`,
    );
  }
  if (!st.isDirectory()) throw new BackendError(`the state directory ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new BackendError(
      `the state directory ${dir} belongs to uid ${st.uid}, not to this user (uid ${uid}); use a directory of your own (stateDir, SAFE_STATE_DIR) or chown it`,
    );
  }
  if (process.platform !== 'win32' && (st.mode & 0o022) !== 0) {
    throw new BackendError(
      `the state directory ${dir} is writable by ${st.mode & 0o002 ? 'everyone' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}), so others could plant files in it; run: chmod 700 ${dir}`,
    );
  }
}

function realpathOr(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return 'its target';
  }
}
