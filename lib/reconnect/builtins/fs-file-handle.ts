import * as fs from 'node:fs';
import type { BuiltinReconnector } from './builtin';
import { ctorName, hasMethods } from './builtin';

interface Meta {
  path: string;
  access: 'r' | 'w' | 'rw';
  append: boolean;
}

const O_ACCMODE = 3;
const O_APPEND = 0o2000;

/**
 * `fs.promises` `FileHandle`: Node keeps neither the path nor the flags of a handle, so they are
 * read from `/proc/self/fd` and `/proc/self/fdinfo` (Linux only; elsewhere saving one fails with a
 * clear message). Reopened without ever truncating: read-only → `'r'`, write-only → `'a'`,
 * read-write → `'a+'` if it appended, else `'r+'`.
 * @internal
 */
export const fsFileHandle: BuiltinReconnector = {
  name: 'fs.FileHandle',
  describes: 'fs.promises FileHandle',
  matches: (v) => ctorName(v) === 'FileHandle' && typeof (v as { fd?: unknown }).fd === 'number' && hasMethods(v, 'readFile', 'writeFile', 'close', 'stat'),
  extract(h: { fd: number }): Meta {
    if (h.fd < 0) throw new Error('the file handle is closed, so its path is unknown');
    if (process.platform !== 'linux') throw new Error(`the path of a FileHandle cannot be found on ${process.platform} (only on Linux); keep the path in state and reopen it yourself, or register a reconnector`);
    let file: string;
    let flags: number;
    try {
      file = fs.readlinkSync(`/proc/self/fd/${h.fd}`);
      const m = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${h.fd}`, 'utf8'));
      if (!m) throw new Error('no flags in fdinfo');
      flags = parseInt(m[1], 8);
    } catch (e) {
      throw new Error(`cannot find the path of file descriptor ${h.fd}: ${(e as Error).message}`, { cause: e });
    }
    if (!file.startsWith('/') || file.endsWith(' (deleted)')) throw new Error(`file descriptor ${h.fd} is not an existing file (${file})`);
    const acc = flags & O_ACCMODE;
    return { path: file, access: acc === 0 ? 'r' : acc === 1 ? 'w' : 'rw', append: (flags & O_APPEND) !== 0 };
  },
  reconnect(meta: Meta) {
    const flags = meta.access === 'r' ? 'r' : meta.access === 'w' ? 'a' : meta.append ? 'a+' : 'r+';
    return fs.promises.open(meta.path, flags);
  },
  dispose: (h: fs.promises.FileHandle) => h.close(),
};
