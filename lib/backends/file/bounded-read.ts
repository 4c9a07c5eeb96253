import * as fs from 'node:fs';
import { checkCheckpointBytes } from '../../state/limits';
import { READ_NOFOLLOW } from './no-follow';

/** `O_NONBLOCK`, or 0 where the platform has none: opening a FIFO planted at the name must not wait for a writer. */
const O_NONBLOCK: number = fs.constants.O_NONBLOCK ?? 0;

/** A checkpoint file that is not a regular file (a FIFO, a device, a directory). @internal */
export class NotAFile extends Error {}

/**
 * Reads a checkpoint file as UTF-8 without following a link at its name, its size checked first:
 * the open descriptor is `fstat`ed and a file larger than `SERIALIZATION_LIMITS.maxCheckpointChars`
 * bytes fails with `PayloadError` before a byte of it is read (a huge or sparse file costs nothing).
 * At most the size seen then is read, so a file growing meanwhile cannot make the read unbounded.
 * Answers `null` when there is no file; something else than a regular file throws {@link NotAFile}.
 * @internal
 */
export async function readCheckpointFile(file: string): Promise<string | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, READ_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new NotAFile(`${file} is not a regular file`);
    checkCheckpointBytes(st.size);
    const buf = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < st.size) {
      const { bytesRead } = await handle.read(buf, n, st.size - n, n);
      if (bytesRead === 0) break; // truncated meanwhile
      n += bytesRead;
    }
    return buf.toString('utf8', 0, n);
  } finally {
    await handle.close();
  }
}
