import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/**
 * safe-state's own files, skipped when looking for the caller: `lib/` when run from the sources
 * (this file is `lib/engine/job-name.ts`), else the directory of the bundle this code is part of
 * (`dist/` of the built package, whose `index.js` holds every module).
 */
const OWN_DIR = path.basename(__dirname) === 'engine' ? path.resolve(__dirname, '..') : __dirname;
/** First path segments dropped so that sources and their build output name jobs alike. */
const SOURCE_ROOTS = new Set(['src', 'lib', 'dist', 'build', 'out', 'source']);

function frameFile(line: string): string | null {
  const m = /\(?((?:file:\/\/)?(?:\/|[A-Za-z]:\\)[^()]*?):\d+:\d+\)?\s*$/.exec(line);
  if (!m) return null;
  return m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1];
}

/**
 * The file of the first stack frame outside safe-state itself: the module that applied the
 * decorator or called `safeState()`. `null` when the stack does not tell.
 * @internal
 */
export function callerFile(): string | null {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const f = frameFile(line);
    if (!f || f.startsWith('node:') || f.includes(`${path.sep}node_modules${path.sep}tslib${path.sep}`)) continue;
    if (f.startsWith(OWN_DIR + path.sep)) continue;
    return f;
  }
  return null;
}

function packageRoot(file: string): string | null {
  let dir = path.dirname(file);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * The stable module id used in default job names: the path relative to the nearest package.json,
 * without extension, `/`-separated, with a leading `src/`, `lib/`, `dist/`, `build/` or `out/`
 * dropped (so running compiled output names jobs as the sources do).
 * @internal
 */
export function moduleId(file: string): string | null {
  const root = packageRoot(file);
  if (!root) return null;
  const rel = path.relative(root, file).split(path.sep);
  if (rel.length > 1 && SOURCE_ROOTS.has(rel[0])) rel.shift();
  const last = rel.length - 1;
  rel[last] = rel[last].replace(/\.(?:[cm]?[jt]sx?)$/, '');
  return rel.join('/');
}

/** `<base>-<8 hex of the module id's hash>`, or null without a module id. @internal */
export function defaultJobName(base: string, file: string | null): string | null {
  const id = file ? moduleId(file) : null;
  if (!id) return null;
  return `${base}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
}
