import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawCallSites, ownFile, type RawSite } from './call-site';
import { scriptInfo } from './source-map';
import { moduleIdOfFile, moduleIdOfRelative } from './module-id';

/**
 * Which module defines a job or an `@Idempotent` method, told the same way however the code runs:
 * compiled by tsc and run by node (with or without `--enable-source-maps` or source-map-support),
 * run from sources by tsx, ts-node, jest or vitest, bundled by esbuild or webpack, or run by Bun or
 * Deno. It reads raw call sites (never the printed stack, which source maps rewrite), and where the
 * running script has a source map (a bundle, compiled output) the original source of the calling
 * position. It refuses rather than guess: a bundle without a source map, eval'ed code, or a module
 * outside any package gives a reason instead of an id.
 * @internal
 */

/**
 * A class or function name read at run time, checked against the module's source: the source's
 * name, or why it cannot be told.
 * @internal
 */
export type SourceName = { name: string; reason?: undefined } | { name?: undefined; reason: string };

/**
 * The defining module's id, or why none can be told; with `sourceName`, which checks a class or
 * function name read at run time against the module's source text. Transpilers and bundlers rename
 * names that collide (esbuild, and so vitest and Bun, turn `function backfill` inside
 * `const backfill = safeState(...)` into `backfill2`, and a second bundled `Mailer` into
 * `Mailer2`): a name the source does not hold is traced back to the source's own when it is that
 * name plus a numeric suffix, and refused otherwise.
 * @internal
 */
export type DefiningModule = { id: string; reason?: undefined; sourceName: (name: string) => SourceName } | { id?: undefined; reason: string };

/** Absolute path of a call site's file, the raw `webpack://` URL, or null. */
function normalise(file: string): string | null {
  if (file.startsWith('file://')) {
    try {
      return fileURLToPath(file);
    } catch {
      return null;
    }
  }
  if (file.startsWith('webpack://')) return file;
  return path.isAbsolute(file) ? file : null;
}

/** `webpack://<namespace>/./src/job.ts` → `src/job.ts` (relative to the webpack context, the project root). */
function webpackRelative(url: string): string {
  return url.replace(/^webpack:\/\/[^/]*\//, '').replace(/\?.*$/, '');
}

function isHelperPath(p: string): boolean {
  return /[\\/]node_modules[\\/](?:tslib|@swc[\\/]helpers|@babel[\\/]runtime|reflect-metadata|safe-state)[\\/]/.test(p) || /^webpack:\/\/[^/]*\/(?:\.\/)?(?:webpack[\\/]|node_modules[\\/](?:tslib|reflect-metadata|safe-state)[\\/])/.test(p);
}

function idOf(p: string): string | null {
  return p.startsWith('webpack://') ? moduleIdOfRelative(webpackRelative(p)) : moduleIdOfFile(p);
}

/**
 * Bundler footprints in a script without a source map: webpack's runtime, or esbuild's (and Bun's)
 * `// path/to/module.ts` comments that open each bundled module.
 */
function looksBundled(text: string, file: string): boolean {
  if (/__webpack_require__|__webpack_modules__|parcelRequire/.test(text)) return true;
  const stem = path.basename(file).replace(/\.[cm]?js$/, '');
  const marks = text.match(/^\/\/ [^\s]+\.(?:[cm]?[jt]sx?|json)$/gm) ?? [];
  return marks.some((m) => path.basename(m.slice(3)).replace(/\.[^.]+$/, '') !== stem);
}

/** The runtimes' own modules (Node's `node:`, Bun's `bun:wrap` decorator helpers, Deno's `ext:`). */
const RUNTIME_SCHEME = /^(?:node|bun|ext|deno):/;

let own: string | null | undefined;

/**
 * The module that called `skip` (a decorator or `safeState`/`idempotent`): the first frame above it
 * that is not helper code (tslib, a bundler's decorator helpers, reflect-metadata's `Reflect.decorate`,
 * which tsc's legacy `__decorate` calls when it is loaded, safe-state itself).
 * @param skip - the public function the application called
 * @internal
 */
export function definingModule(skip: (...args: never[]) => unknown): DefiningModule {
  const sites = rawCallSites(skip);
  if (sites.length === 0) return { reason: 'this runtime gives no call sites to tell the defining module' };
  if (own === undefined) own = ownFile();
  let unmappedIn: string | null = null; // a source-mapped script whose calling position mapped nowhere
  for (const site of sites) {
    if (unmappedIn !== null && site.file !== unmappedIn) {
      // past helper code of a bundle, only the bundle's own frames may tell its module
      return { reason: `its calling position in ${unmappedIn} maps to no source in that file's source map` };
    }
    const r = siteModule(site);
    if (r === 'skip') continue;
    if (r === 'unmapped') {
      unmappedIn = site.file;
      continue;
    }
    return r;
  }
  return { reason: 'no frame of the calling module was found' };
}

function siteModule(site: RawSite): DefiningModule | 'skip' | 'unmapped' {
  if (!site.file) return 'skip'; // native frames
  if (site.file.startsWith('internal/') || RUNTIME_SCHEME.test(site.file)) return 'skip'; // node:, bun:wrap, Deno's ext:
  const p = normalise(site.file);
  if (p === null) {
    return { reason: site.isEval ? 'it is defined in eval\'ed code, which has no module file' : `its code has no module file (${JSON.stringify(site.file.slice(0, 80))})` };
  }
  if (isHelperPath(p)) return 'skip';
  if (p.startsWith('webpack://')) {
    const id = idOf(p);
    return id ? { id, sourceName: (name) => ({ name }) } : { reason: `its module ${p} names no file` }; // eval'ed webpack module: its text is the source's
  }
  const bundledWithUs = own != null && normalise(own) === p;
  const info = scriptInfo(p);
  if (info.map) {
    const source = info.map.sourceAt(site.line, site.column);
    if (source === null) return 'unmapped'; // a bundler's helper code (esbuild's __decorateElement)
    if (isHelperPath(source)) return 'skip'; // tslib, or safe-state bundled in
    const id = idOf(source);
    if (!id) return { reason: `its source ${source} (from the source map of ${p}) is outside any package (no package.json above it)` };
    const map = info.map;
    const bundle = map.sources.filter((s) => s !== '' && !isHelperPath(s)).length > 1;
    // compiled output of one source (tsc) keeps its names: without the source at hand, its own text tells
    const text = map.sourceText(source) ?? (bundle ? null : info.text);
    return { id, sourceName: (name) => nameInSource(name, source, text, p) };
  }
  if (bundledWithUs || (info.text !== null && looksBundled(info.text, p))) {
    return { reason: `it is bundled into ${p}, which has no source map to tell its source module (build with source maps, e.g. esbuild --sourcemap or webpack devtool 'source-map')` };
  }
  const id = moduleIdOfFile(p);
  if (!id) return { reason: `its module ${p} is outside any package (no package.json above it)` };
  return { id, sourceName: (name) => nameInSource(name, p, info.text, p) };
}

function holdsWord(text: string, word: string): boolean {
  const escaped = word.replace(/[$]/g, '\\$&');
  return new RegExp(`(?<![\\w$])${escaped}(?![\\w$])`).test(text);
}

/** A name read at run time, as the module's source writes it (see {@link DefiningModule}). */
function nameInSource(name: string, source: string, text: string | null, running: string): SourceName {
  if (text === null) return { reason: `${running} is a bundle whose source map neither embeds ${source} (sourcesContent) nor points to it on disk, so the name '${name}' cannot be checked against the source` };
  if (holdsWord(text, name)) return { name };
  const renamed = /^([A-Za-z_$][\w$]*?)\d+$/.exec(name);
  if (renamed && holdsWord(text, renamed[1])) return { name: renamed[1] };
  return { reason: `it runs as '${name}', a name its source ${source} does not have: a transpiler or bundler renamed it (keep names: esbuild --keep-names, terser keep_classnames and keep_fnames)` };
}
