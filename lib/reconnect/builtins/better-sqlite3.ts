import * as path from 'node:path';
import { loadDriver } from '../load-driver';
import type { BuiltinReconnector } from './builtin';
import { ctorName, hasMethods } from './builtin';

interface Meta {
  file: string;
  readonly: boolean;
}

/**
 * better-sqlite3 `Database`: saved as its absolute file path and read-only flag; reopened with
 * `fileMustExist: true`, so a database file that vanished between runs fails the resume instead of
 * silently starting an empty one. In-memory and temporary databases cannot be saved (their content
 * dies with the process).
 * @internal
 */
export const betterSqlite3Database: BuiltinReconnector = {
  name: 'better-sqlite3.Database',
  describes: 'better-sqlite3 Database',
  matches: (v) =>
    ctorName(v) === 'Database' && hasMethods(v, 'prepare', 'pragma', 'exec', 'close') &&
    typeof (v as { memory?: unknown }).memory === 'boolean' && typeof (v as { readonly?: unknown }).readonly === 'boolean' &&
    typeof (v as { name?: unknown }).name === 'string',
  extract(db: { name: string; memory: boolean; readonly: boolean }): Meta {
    if (db.memory || db.name === '' || db.name === ':memory:') {
      throw new Error('an in-memory or temporary database cannot be reconnected: its content is gone with the process');
    }
    return { file: path.resolve(db.name), readonly: db.readonly };
  },
  reconnect(meta: Meta) {
    const Database = loadDriver<new (file: string, opts: object) => unknown>('better-sqlite3');
    return new Database(meta.file, { readonly: meta.readonly, fileMustExist: true });
  },
  dispose: (db: { close(): void }) => db.close(),
};
