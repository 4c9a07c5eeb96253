import * as fs from 'node:fs';

/**
 * Whether the output at `path` is already there: `true` when it exists and is not empty.
 * A zero-byte regular file is taken for a partial write (a crash between creating the file and
 * writing it): it is removed and the answer is `false`, so the caller writes it again.
 * A missing file (or a dangling symbolic link) answers `false`; a directory or another non-regular
 * entry counts as existing. Errors other than "not found" (permissions, I/O) are thrown.
 *
 * It is synchronous on purpose, so that `if (skipIfExists(p)) continue;` cannot silently test a
 * promise; it also works as the `check` of {@link Idempotent}.
 *
 * @param path - the output file
 * @returns `true` to skip the work, `false` to do it
 * @example
 * ```ts
 * for (const url of urls) {
 *   const out = `images/${basename(url)}`;
 *   if (skipIfExists(out)) continue;
 *   await download(url, out);
 * }
 * ```
 */
export function skipIfExists(path: string | URL): boolean {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw e;
  }
  if (!st.isFile() || st.size > 0) return true;
  try {
    fs.unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return false;
}
