import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuiltinReconnector } from './builtin';

interface Meta {
  path: string;
  encoding?: string;
  mode?: number;
}

/**
 * `fs.WriteStream`: saved as its absolute path, default encoding and mode; reopened in append mode
 * (`'a'`), whatever flags it was opened with, so a resumed job continues the file instead of
 * truncating it. Data the crashed process had not flushed is lost; make each item's write complete
 * before the item ends if that matters. Streams opened on a file descriptor cannot be saved.
 * @internal
 */
export const fsWriteStream: BuiltinReconnector = {
  name: 'fs.WriteStream',
  describes: 'fs.WriteStream',
  matches: (v) => v instanceof fs.WriteStream,
  extract(s: fs.WriteStream & { mode?: number; _writableState?: { defaultEncoding?: string } }): Meta {
    const p = s.path;
    if (p === undefined || p === null) throw new Error('a write stream opened on a file descriptor (no path) cannot be reopened');
    const file = path.resolve(p instanceof URL ? p.pathname : Buffer.isBuffer(p) ? p.toString() : String(p));
    const meta: Meta = { path: file };
    const enc = s._writableState?.defaultEncoding;
    if (enc && enc !== 'utf8') meta.encoding = enc;
    if (typeof s.mode === 'number') meta.mode = s.mode;
    return meta;
  },
  reconnect(meta: Meta): Promise<fs.WriteStream> {
    return new Promise((resolve, reject) => {
      const stream = fs.createWriteStream(meta.path, { flags: 'a', encoding: meta.encoding as BufferEncoding | undefined, mode: meta.mode });
      stream.once('error', reject);
      stream.once('ready', () => {
        stream.removeListener('error', reject);
        resolve(stream);
      });
    });
  },
  dispose: (s: fs.WriteStream) => s.destroy(),
};
