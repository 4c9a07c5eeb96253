import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * Loads an optional driver package (better-sqlite3, mysql2, ioredis, knex) when a built-in
 * reconnector needs it, never before: importing safe-state does not load drivers. Resolved from
 * safe-state's own location first, then from the working directory (the application's
 * node_modules), so a hoisted or an application-local install both work.
 * @internal
 */
export function loadDriver<T = any>(name: string): T {
  if (typeof require === 'function') {
    try {
      return require(name) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  try {
    return requireFrom(path.join(process.cwd(), 'noop.js'))(name) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    throw new Error(`the '${name.split('/')[0]}' package is needed to rebuild this object but cannot be loaded: install it (npm install ${name.split('/')[0]})`, { cause: e });
  }
}

/**
 * node's `createRequire`, taken through `process.getBuiltinModule` where there is one (Node 20.16+,
 * Bun, Deno): webpack rewrites every `createRequire(...)` call it sees in an application's bundle
 * into `undefined(...)` unless its argument is `import.meta.url`, and this one's is not.
 */
function requireFrom(file: string): NodeJS.Require {
  const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const nodeModule = typeof builtin === 'function' ? (builtin('node:module') as { createRequire?: typeof createRequire } | undefined) : undefined;
  return (nodeModule?.createRequire ?? createRequire)(file);
}

/** `mod.default ?? mod` for packages that export their main value both ways. @internal */
export function defaultExport<T>(mod: unknown): T {
  const m = mod as { default?: unknown };
  return (typeof m === 'object' || typeof m === 'function') && m !== null && m.default !== undefined ? (m.default as T) : (mod as T);
}
