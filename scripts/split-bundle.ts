/**
 * The package's main CommonJS build, in three files: `index.js`, what every job needs;
 * `index-lazy.js`, the parts that most jobs never use (the Redis and SQL backends, transactions,
 * `@Idempotent` records and the `IdempotencyCache`), which node loads the first time one of them is
 * used; and `devalue.js`, loaded at the first value serialized or revived. V8 reads and compiles every byte of a script when node loads it (about 4.5 ms per 100 kB
 * on this project's machines, docs/benchmarks.md): a resumed job on the File backend no longer pays
 * for code it does not run.
 *
 * How the two halves meet, with one instance of every module:
 * - in `index.js`, a module of a lazy part is replaced by stand-ins for its exports
 *   (lib/util/lazy-parts.ts: a function that loads `index-lazy.js` when first called, constructed or
 *   read from), and lib/index.ts ends by telling lazy-parts how to load it;
 * - in `index-lazy.js`, a module of the main part is not bundled again: the file is one function
 *   that the main bundle calls with the namespaces of the main modules the lazy part imports, and
 *   that answers the namespaces of the lazy modules the main part imports.
 *
 * A lazy module may be imported by the main part only for functions and classes (a stand-in cannot
 * be a plain value): the lazy half checks every stand-in's export when it loads, and the build
 * loads it once ({@link checkSplit}).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

/** The directories under lib/ whose modules go to `index-lazy.js`. */
export const LAZY_DIRS = ['backends/redis', 'backends/sql', 'transaction', 'idempotency'];

/** The file name of the lazy half, beside `index.js`. */
export const LAZY_FILE = 'index-lazy.js';

/**
 * devalue (34 kB bundled), in a file of its own beside `index.js`: the sources `require()` it at
 * the first value they serialize or revive (lib/state/serializer.ts), which a resumed job without
 * state does after its first item, or never.
 */
export const DEVALUE_FILE = 'devalue.js';

/** The plugin that leaves `require('devalue')` to load {@link DEVALUE_FILE} at run time. */
const devalueApart: esbuild.Plugin = {
  name: 'safe-state-devalue-apart',
  setup(build) {
    build.onResolve({ filter: /^devalue$/ }, () => ({ path: `./${DEVALUE_FILE}`, external: true }));
  },
};

/** `DEVALUE_FILE`: devalue (an ES module package) as CommonJS. */
async function buildDevalue(options: esbuild.BuildOptions, outfile: string): Promise<void> {
  await esbuild.build({
    ...options,
    plugins: [],
    stdin: { contents: "export * from 'devalue';", resolveDir: path.resolve(__dirname, '..'), sourcefile: 'devalue-entry.js' },
    entryPoints: undefined,
    outfile,
  });
}

const LAZY_PARTS = path.join('util', 'lazy-parts.ts');

/** A module's id: its path under lib/ without extension, with forward slashes. */
function moduleId(lib: string, file: string): string {
  return path.relative(lib, file).replace(/\\/g, '/').replace(/\.ts$/, '');
}

function isLazy(lib: string, file: string): boolean {
  const id = moduleId(lib, file);
  return !id.startsWith('..') && LAZY_DIRS.some((d) => id.startsWith(d + '/'));
}

/** Resolves a relative import of a lib/ source to its .ts file (the sources import without extension). */
function resolveSource(resolveDir: string, spec: string): string | null {
  const base = path.resolve(resolveDir, spec);
  for (const f of [base + '.ts', path.join(base, 'index.ts'), base]) if (fs.existsSync(f) && fs.statSync(f).isFile()) return f;
  return null;
}

/**
 * The names a source imports (or re-exports) at run time from `spec`: `type` imports left out,
 * `a as b` counted as `a`, a namespace import as every name (null).
 */
function importedNames(source: string, spec: string): string[] | null {
  const quoted = spec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  if (new RegExp(`import\\s*\\*\\s*as\\s+\\w+\\s+from\\s*['"]${quoted}['"]`).test(source)) return null;
  const out: string[] = [];
  for (const m of source.matchAll(new RegExp(`(import|export)\\s+(type\\s+)?\\{([^}]*)\\}\\s*from\\s*['"]${quoted}['"]`, 'g'))) {
    if (m[2]) continue;
    for (const part of m[3].split(',')) {
      const t = part.trim();
      if (t && !t.startsWith('type ')) out.push(t.split(/\s+as\s+/)[0].trim());
    }
  }
  return out;
}

/** The runtime export names of each lazy module (types erased), by id. */
async function exportNames(lib: string): Promise<Map<string, string[]>> {
  const files = fs.readdirSync(lib, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(lib, f))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && isLazy(lib, f));
  const r = await esbuild.build({ entryPoints: files, bundle: false, format: 'esm', platform: 'node', write: false, metafile: true, outdir: '/out', outbase: lib, logLevel: 'error' });
  const names = new Map<string, string[]>();
  for (const out of Object.values(r.metafile.outputs)) {
    if (out.entryPoint) names.set(moduleId(lib, path.resolve(out.entryPoint)), out.exports);
  }
  return names;
}

/** What {@link buildSplit} wrote. */
export interface SplitBuild {
  /** the main half (`index.js`) */
  index: string;
  /** the lazy half (`index-lazy.js`) */
  lazy: string;
  /** the stand-ins of the main half: lazy module id → export names */
  standIns: Map<string, string[]>;
}

/**
 * Builds `entry` (lib/index.ts) into `options.outfile` and its lazy half beside it. `plugins` run
 * after the split's own (the test-hook folding); `finish` is applied to each written file.
 */
export async function buildSplit(entry: string, options: esbuild.BuildOptions & { outfile: string }, finish: (file: string) => void): Promise<SplitBuild> {
  const lib = path.dirname(entry);
  const names = await exportNames(lib);
  const lazyParts = path.join(lib, LAZY_PARTS);
  const plugins = options.plugins ?? [];

  const standIns = new Map<string, string[]>(); // lazy module id → the names main modules import from it
  const lazyRoots = new Set<string>(); // the lazy modules main modules import (learnt by building the main half)
  const mainImports = new Set<string>(); // the main modules lazy modules import (learnt by building the lazy half)
  const lazyFile = path.join(path.dirname(options.outfile), LAZY_FILE);

  // the lazy half: one function of the main half's namespaces, answering the lazy roots' namespaces
  const lazyEntry = 'safe-state-lazy-entry';
  const buildLazy = async (roots: string[]) => {
    mainImports.clear();
    const expected = Object.fromEntries(roots.map((id) => [id, standIns.get(id) ?? []]));
    const r = await esbuild.build({
      ...options,
      outfile: lazyFile,
      metafile: true,
      entryPoints: [lazyEntry],
      banner: { js: 'module.exports=function(__safeStateMain){var module={exports:{}},exports=module.exports;' },
      footer: { js: 'return module.exports};' },
      plugins: [
        devalueApart,
        {
          name: 'safe-state-split-lazy',
          setup(build) {
            build.onResolve({ filter: new RegExp(`^${lazyEntry}$`) }, () => ({ path: lazyEntry, namespace: 'lazy-entry' }));
            build.onLoad({ filter: /.*/, namespace: 'lazy-entry' }, () => ({
              resolveDir: lib,
              loader: 'js',
              contents: roots.map((id, i) => `import * as m${i} from ${JSON.stringify('./' + id)};`).join('\n') +
                `\nconst parts = { ${roots.map((id, i) => `${JSON.stringify(id)}: m${i}`).join(', ')} };\n` +
                // every stand-in of the main half stands for a function or a class
                `for (const [id, names] of Object.entries(${JSON.stringify(expected)})) for (const n of names) if (typeof parts[id][n] !== 'function') throw new Error('safe-state: internal error: ' + id + ' exports ' + n + ' as ' + typeof parts[id][n] + ', which the main bundle imports lazily: only functions and classes can be (scripts/split-bundle.ts)');\n` +
                `export default parts;\n`,
            }));
            build.onResolve({ filter: /^\./ }, (args) => {
              if (args.namespace !== 'file' || !args.importer.startsWith(lib)) return undefined;
              const file = resolveSource(args.resolveDir, args.path);
              if (!file || isLazy(lib, file) || !file.startsWith(lib + path.sep)) return undefined;
              const id = moduleId(lib, file);
              mainImports.add(id);
              return { path: id, namespace: 'main-module' };
            });
            build.onLoad({ filter: /.*/, namespace: 'main-module' }, (args) => ({ loader: 'js', contents: `module.exports = __safeStateMain[${JSON.stringify(args.path)}];` }));
          },
        },
        ...plugins,
      ],
    });
    const bundled = Object.keys(r.metafile!.inputs).filter((f) => f.includes('node_modules'));
    if (bundled.length > 0) throw new Error(`build: the lazy half bundles packages of its own (${bundled.join(', ')}); only the main half may`);
  };

  // the main half: lazy modules imported from main modules become stand-ins, and lib/index.ts ends
  // by telling lazy-parts how to load the lazy half
  const mainPlugin: esbuild.Plugin = {
    name: 'safe-state-split-main',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        if (args.namespace !== 'file' || !args.importer.startsWith(lib) || isLazy(lib, args.importer)) return undefined;
        const file = resolveSource(args.resolveDir, args.path);
        if (!file || !isLazy(lib, file)) return undefined;
        const id = moduleId(lib, file);
        const used = importedNames(fs.readFileSync(args.importer, 'utf8'), args.path) ?? names.get(id) ?? [];
        standIns.set(id, [...new Set([...(standIns.get(id) ?? []), ...used])].sort());
        return undefined; // esbuild resolves it; the onLoad below makes the stand-ins
      });
      build.onResolve({ filter: new RegExp(`^\\./${LAZY_FILE.replace('.', '\\.')}$`) }, (args) => ({ path: args.path, external: true }));
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path === entry) {
          const source = await fs.promises.readFile(entry, 'utf8');
          const ids = [...mainImports].sort();
          const link = [
            `import { setLazyLoader as __setLazyLoader } from './${LAZY_PARTS.replace(/\\/g, '/').replace(/\.ts$/, '')}';`,
            ...ids.map((id, i) => `import * as __main${i} from './${id}';`),
            `__setLazyLoader(() => require('./${LAZY_FILE}')({ ${ids.map((id, i) => `${JSON.stringify(id)}: __main${i}`).join(', ')} }).default);`,
          ];
          return { contents: source + '\n// the split build (scripts/split-bundle.ts)\n' + link.join('\n') + '\n', loader: 'ts', resolveDir: lib };
        }
        if (!isLazy(lib, args.path)) return undefined;
        const id = moduleId(lib, args.path);
        const exported = names.get(id) ?? [];
        lazyRoots.add(id);
        const rel = path.relative(path.dirname(args.path), lazyParts).replace(/\\/g, '/').replace(/\.ts$/, '');
        return {
          loader: 'js',
          contents: `import { lazyExport } from ${JSON.stringify(rel.startsWith('.') ? rel : './' + rel)};\n` +
            exported.map((n) => `export const ${n} = /* @__PURE__ */ lazyExport(${JSON.stringify(id)}, ${JSON.stringify(n)});`).join('\n') + '\n',
        };
      });
    },
  };
  const buildMain = async (write: boolean) => {
    standIns.clear();
    lazyRoots.clear();
    await esbuild.build({ ...options, write, entryPoints: [entry], plugins: [devalueApart, mainPlugin, ...plugins] });
  };

  // the two halves depend on each other's imports: build the main half in memory (to learn which
  // lazy modules it imports), then the lazy half (to learn which main modules it imports), then the
  // main half again with those (which adds no new lazy import: the link only imports main modules)
  await buildMain(false);
  await buildLazy([...lazyRoots].sort());
  await buildMain(true);
  await buildDevalue(options, path.join(path.dirname(options.outfile), DEVALUE_FILE));
  for (const f of [options.outfile, lazyFile]) finish(f);
  return { index: options.outfile, lazy: lazyFile, standIns };
}

/**
 * Loads the built main half in a fresh process and checks that this did not load the lazy half;
 * then loads the lazy half through a public stand-in, which checks that every stand-in stands for a
 * function or a class. Throws with what is wrong.
 */
export function checkSplit(built: SplitBuild): void {
  const script = `
    const m = require(${JSON.stringify(built.index)});
    const lazy = ${JSON.stringify(built.lazy)};
    if (require.cache[lazy]) throw new Error('loading ${path.basename(built.index)} loaded ${LAZY_FILE}');
    if (typeof m.RedisBackend.fromUrl !== 'function') throw new Error('RedisBackend.fromUrl is not a function');
    if (!require.cache[lazy]) throw new Error('a stand-in did not load ${LAZY_FILE}');
  `;
  execFileSync(process.execPath, ['-e', script], { stdio: 'inherit' });
}
