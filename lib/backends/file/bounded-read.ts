import * as fs from 'node:fs';
import { checkCheckpointBytes } from '../../state/limits';
import { READ_NOFOLLOW } from './no-follow';

/** `O_NONBLOCK`, or 0 where the platform has none: opening a FIFO planted at the name must not wait for a writer. */
const O_NONBLOCK: number = fs.constants.O_NONBLOCK ?? 0;

/** A checkpoint file that is not a regular file (a FIFO, a device, a directory). @internal */
export class NotAFile extends Error {}

/**
 * Files up to this size are read synchronously: a fraction of a millisecond for the file, against
 * about 1.5 ms of a resuming process's start for the first asynchronous fs call (libuv starts its
 * thread pool then). Larger ones are read without blocking the event loop. @internal
 */
export const SYNC_READ_MAX = 1024 * 1024;

/**
 * Reads a checkpoint file as UTF-8 without following a link at its name, its size checked first:
 * the open descriptor is `fstat`ed and a file larger than `SERIALIZATION_LIMITS.maxCheckpointChars`
 * bytes fails with `PayloadError` before a byte of it is read (a huge or sparse file costs nothing).
 * At most the size seen then is read, so a file growing meanwhile cannot make the read unbounded.
 * Answers `null` when there is no file; something else than a regular file throws {@link NotAFile}.
 * @internal
 */
export async function readCheckpointFile(file: string): Promise<string | null> {
  let fd: number;
  try {
    fd = fs.openSync(file, READ_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new NotAFile(`${file} is not a regular file`);
    checkCheckpointBytes(st.size);
    const buf = Buffer.allocUnsafe(st.size);
    const small = st.size <= SYNC_READ_MAX;
    let n = 0;
    while (n < st.size) {
      const bytesRead = small ? fs.readSync(fd, buf, n, st.size - n, n) : await settle<number>((cb) => fs.read(fd, buf, n, st.size - n, n, cb));
      if (bytesRead === 0) break; // truncated meanwhile
      n += bytesRead;
    }
    return buf.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The callback form of an fs call as a promise. Not `fs.promises`: loading it (with the stream
 * modules its file handles need) cost a resuming process about 4.6 ms before its first item.
 */
function settle<T>(call: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));
}
