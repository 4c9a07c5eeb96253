import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The stable module id used in default job names and `@Idempotent` scopes: the module's path
 * relative to its package root (the nearest directory with a package.json, deno.json or
 * deno.jsonc), `/`-separated, without extension, with a leading output directory (`dist/`,
 * `build/`, `out/`) and then a leading source directory (`src/`, `lib/`, `source/`) dropped, so
 * that `src/job.ts`, `dist/job.js` and `dist/src/job.js` all read `job`.
 * @internal
 */

const OUTPUT_ROOTS = new Set(['dist', 'build', 'out']);
const SOURCE_ROOTS = new Set(['src', 'lib', 'source']);
const ROOT_MARKERS = ['package.json', 'deno.json', 'deno.jsonc'];

const roots = new Map<string, string | null>();

/** The package root of a directory, or null when none is found up to the file system's root. @internal */
export function packageRootOf(dir: string): string | null {
  const cached = roots.get(dir);
  if (cached !== undefined) return cached;
  let found: string | null = null;
  if (ROOT_MARKERS.some((m) => fs.existsSync(path.join(dir, m)))) found = dir;
  else {
    const up = path.dirname(dir);
    found = up === dir ? null : packageRootOf(up);
  }
  roots.set(dir, found);
  return found;
}

/** The module id of a path relative to its package root (`/`-separated). @internal */
export function moduleIdOfRelative(rel: string): string | null {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return null;
  if (parts.length > 1 && OUTPUT_ROOTS.has(parts[0])) parts.shift();
  if (parts.length > 1 && SOURCE_ROOTS.has(parts[0])) parts.shift();
  const last = parts.length - 1;
  parts[last] = parts[last].replace(/\.(?:[cm]?[jt]sx?)$/, '');
  return parts[last] === '' ? null : parts.join('/');
}

/** The module id of an absolute file path, or null without a package root. @internal */
export function moduleIdOfFile(file: string): string | null {
  const root = packageRootOf(path.dirname(file));
  if (!root) return null;
  return moduleIdOfRelative(path.relative(root, file).split(path.sep).join('/'));
}
