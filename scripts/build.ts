/**
 * `npm run build`: the published package, in `dist/`.
 *
 * - `dist/index.js`: `lib/index.ts` and every source file it imports, bundled into CommonJS by
 *   esbuild (the transpiler tsx uses, so the same stage-3 decorator lowering as in the tests and
 *   samples). A few files instead of one module per source file: node resolves, reads and compiles
 *   one module at start-up instead of about 140, which is most of what loading safe-state costs
 *   (see docs/benchmarks.md, "Where the resume latency goes"). What most jobs never run (the Redis
 *   and SQL backends, transactions, `@Idempotent` records) is in `dist/index-lazy.js`, and devalue
 *   in `dist/devalue.js`, each loaded at its first use (scripts/split-bundle.ts).
 * - `dist/cli/main.js`: the command line (package.json `bin`), bundled the same way.
 * - `dist/otel/index.js`, `index.mjs`, `index.node.mjs`: the `safe-state/otel` subpath, built like
 *   the root (lib/otel/: OpenTelemetry from the diagnostics channels; `@opentelemetry/api` stays
 *   outside, loaded when `instrument()` needs it).
 * - `dist/blocking-worker.js`: the worker thread that saves for a plain `for..of` on Redis and the
 *   network SQL databases while the loop waits (lib/backends/blocking/), found beside `index.js`.
 * - `dist/**\/*.d.ts`: the type declarations, one per source file, from tsc.
 *
 * devalue is bundled (as CommonJS, `dist/devalue.js`): it ships as an ES module only, which jest's
 * module loader (and every CommonJS-only loader) cannot `require()`, so a user's jest test failed as
 * soon as a checkpoint or an `@Idempotent` record was read back.
 * Other packages stay outside the bundles: the optional drivers (and reflect-metadata) are
 * `require()`d from node_modules at run time, at the place and the moment the sources require them
 * (so the lazily loaded ones stay lazy). Names are kept (`keepNames`): error classes
 * name themselves after their class.
 *
 * The CommonJS bundles are written without whitespace (`minifyWhitespace`; names and syntax are
 * kept, and each ships its source map): V8 reads every byte of a script when node loads it, and
 * 160 kB less of it is about 7 ms less start-up (docs/benchmarks.md). The ES module builds stay
 * as esbuild prints them: bundlers read those, and an application's own build decides on minifying.
 *
 * Usage: `tsx scripts/build.ts [outDir]` (default `dist`; the directory is emptied first).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { buildSplit, checkSplit } from './split-bundle';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..');

/** Packages left outside the bundles (`require()`d at run time): everything but devalue. */
const EXTERNAL = ['reflect-metadata', 'ioredis', 'mysql2', 'better-sqlite3', 'knex', 'pg', '@opentelemetry/api'];

/**
 * Test-only hooks (lib/util/test-phase.ts, lib/transaction/test-points.ts: the crash tests' phase
 * pipe, `SAFE_STATE_TEST_*` environment variables) stay out of the published build. Their sources
 * test a constant that only this build defines (`true`); the files that mention it are compiled
 * with that definition and esbuild's syntax folding (`if (true) return null`, `false ? … : ''`), so
 * the hook code and the variable names are gone from dist/, while the rest of the bundle is left
 * unminified. The tests run lib/ itself (ts-jest, tsx) or their own bundles of it, where the
 * constant is undefined and the hooks work.
 */
export const TEST_HOOKS_CONSTANT = 'SAFE_STATE_BUILD_WITHOUT_TEST_HOOKS';

/** The esbuild plugin that compiles the files testing {@link TEST_HOOKS_CONSTANT} without their test hooks. */
export const withoutTestHooks: esbuild.Plugin = {
  name: 'safe-state-without-test-hooks',
  setup(build) {
    build.onLoad({ filter: /[\\/]lib[\\/].*\.ts$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      if (!source.includes(TEST_HOOKS_CONSTANT)) return undefined; // esbuild's own loader
      const out = await esbuild.transform(source, {
        loader: 'ts',
        format: 'esm',
        target: 'node20',
        define: { [TEST_HOOKS_CONSTANT]: 'true' },
        minifySyntax: true, // folds the conditions on the constant and drops what they guard
        sourcemap: 'inline', // lines still map to the source file
        sourcesContent: false, // whose text, with the hooks, is not embedded either
        sourcefile: args.path,
        tsconfigRaw: fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'),
      });
      if (out.code.includes('SAFE_STATE_TEST')) throw new Error(`build: ${args.path} still reads a test hook after folding ${TEST_HOOKS_CONSTANT}`);
      return { contents: out.code, loader: 'js' };
    });
  },
};

/**
 * The rest of the hooks' trail in `outDir`: the source maps embed each source's text
 * (`sourcesContent`), which for the hook files still holds the hooks (their entry becomes null; the
 * mappings stay), and tsc wrote declarations for those internal files, which no public declaration
 * imports (they are removed). Fails when any file of `outDir` still names a `SAFE_STATE_TEST_`
 * variable.
 */
export function removeTestHookTraces(outDir: string): void {
  const files = fs.readdirSync(outDir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(outDir, f)).filter((f) => fs.statSync(f).isFile());
  const hookDeclarations = hookSources().map((rel) => path.join(outDir, rel.replace(/\.ts$/, '.d.ts')));
  for (const f of hookDeclarations) fs.rmSync(f, { force: true });
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    if (f.endsWith('.map')) {
      const map = JSON.parse(fs.readFileSync(f, 'utf8')) as { sourcesContent?: (string | null)[] };
      if (map.sourcesContent?.some((c) => c?.includes(TEST_HOOKS_CONSTANT))) {
        map.sourcesContent = map.sourcesContent.map((c) => (c?.includes(TEST_HOOKS_CONSTANT) ? null : c));
        fs.writeFileSync(f, JSON.stringify(map));
      }
    }
    const text = fs.readFileSync(f, 'utf8');
    if (text.includes('SAFE_STATE_TEST_')) throw new Error(`build: ${f} still names a test hook (SAFE_STATE_TEST_*)`);
    for (const d of hookDeclarations) {
      const stem = path.basename(d, '.d.ts');
      if (f.endsWith('.d.ts') && new RegExp(`from '[^']*/${stem}(\\.js)?'`).test(text)) throw new Error(`build: ${f} imports the removed declarations of ${stem}`);
    }
  }
}

/** The files of lib/ that hold test hooks (that test {@link TEST_HOOKS_CONSTANT}), relative to lib/. */
function hookSources(): string[] {
  const lib = path.join(ROOT, 'lib');
  return fs.readdirSync(lib, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && fs.readFileSync(path.join(lib, f), 'utf8').includes(TEST_HOOKS_CONSTANT));
}

/** The builds of one entry point, in one directory (`<outDir>` for the root, `<outDir>/<subpath>` for a subpath). */
export interface EntryBuilds {
  /** CommonJS (`index.js`): `require()` */
  index: string;
  /** the ES module build (`index.mjs`): what bundlers take (the `module` condition) */
  esm: string;
  /** Node's `import` entry (`index.node.mjs`): re-exports the CommonJS build, so one instance */
  nodeImport: string;
}

/** What {@link bundle} wrote. */
export interface Bundles {
  /** the package's main file, CommonJS (`<outDir>/index.js`): `require('safe-state')` */
  index: string;
  /** the ES module build (`<outDir>/index.mjs`): what bundlers take (the `module` condition) */
  esm: string;
  /** Node's `import` entry (`<outDir>/index.node.mjs`): re-exports the CommonJS build, so one instance */
  nodeImport: string;
  /** the command line (`<outDir>/cli/main.js`) */
  cli: string;
  /** the save worker of plain `for..of` loops (`<outDir>/blocking-worker.js`, beside index.js) */
  worker: string;
  /** the test kit, `safe-state/testing` (`<outDir>/testing.js`, `.mjs`, `.node.mjs`) */
  testing: string;
  /** `safe-state/otel` (lib/otel/index.ts), in `<outDir>/otel/` */
  otel: EntryBuilds;
}

/**
 * The ES module build needs `require` for what the sources load lazily (optional drivers, some
 * node: modules): esbuild turns those calls into a `__require` shim that throws "Dynamic require of
 * … is not supported" unless a `require` is in scope. The build replaces the shim with a require of
 * its own made from its URL, under a name of its own: declaring `require` itself would clash with the
 * `const require = createRequire(import.meta.url)` banner that users put on their ESM bundles.
 * A CommonJS bundle of an application that imports safe-state (esbuild or
 * webpack pick this build by its `module` condition) has an empty `import.meta` but a `__filename`:
 * the require is then made from that. (A bare `require` would not do: bundlers rewrite it into their
 * own shims.)
 */
const ESM_BANNER = "import { createRequire as __safeStateCreateRequire } from 'node:module';";
const ESM_REQUIRE = 'var __require = __safeStateCreateRequire(import.meta.url || __filename);\n';
const ESM_SHIM = /var __require = \/\* @__PURE__ \*\/ \(\(x\) => typeof require !== "undefined"[\s\S]*?\n\}\);\n/;

/** Packages left outside the ES module build: the optional drivers, loaded when used. */
const ESM_EXTERNAL = EXTERNAL;

function patchEsmRequire(file: string): void {
  const text = fs.readFileSync(file, 'utf8');
  if (!ESM_SHIM.test(text)) throw new Error(`build: esbuild's __require shim not found in ${file}; update ESM_SHIM in scripts/build.ts`);
  // as many lines as the shim had, so that the source map stays true
  fs.writeFileSync(file, text.replace(ESM_SHIM, (shim) => ESM_REQUIRE + '\n'.repeat(shim.split('\n').length - 2)));
}

/**
 * `import * as fs from 'node:fs'` becomes `var fs = __toESM(require("node:fs"))` in esbuild's
 * CommonJS output: a new object with a getter per export of the module, built at start-up for every
 * file that imports it that way (about 35 in the main bundle, 6.5 ms of loading safe-state). A node:
 * module is a plain CommonJS object that the sources only read names from, so the build requires it
 * as is. A source that read `.default` from such a namespace would break: the build refuses then.
 */
const NAMESPACE_BUILTIN = /\bvar (\w+) ?= ?__toESM\(require\("(node:[\w/]+)"\)\);/g;

/**
 * `keepNames` calls esbuild's `__name(fn, "name")` for every function and class of the bundle at
 * load (about 850 in the main bundle), and each call redefines the `name` property, which also
 * gives the function a map of its own: about 8 ms of loading safe-state. The name is already right
 * for nearly all of them (only the functions that esbuild renamed, and the classes it lowers to
 * `var _X = class _X`, differ), so the build's `__name` looks first. Same length, so that the
 * source map's columns stay true.
 */
const KEEP_NAMES_HELPER = 'var __name=(target,value)=>__defProp(target,"name",{value,configurable:true});';
const KEEP_NAMES_CHEAPER = 'var __name=(t,v)=>t.name===v?t:__defProp(t,"name",{value:v,configurable:!0});';

/**
 * Replaces the namespace copies of node: modules in a CommonJS bundle by the modules themselves,
 * and esbuild's `__name` by one that sets only the names that differ.
 */
function lighterCommonJs(file: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const out = text.replace(NAMESPACE_BUILTIN, (decl: string, name: string, mod: string) => {
    if (new RegExp(`\\b${name}\\.default\\b`).test(text)) throw new Error(`build: ${file} reads ${name}.default of ${mod}; import the names it needs instead`);
    const plain = `var ${name}=require("${mod}");`;
    return plain + ' '.repeat(decl.length - plain.length); // as long as before: the source map's columns stay true
  });
  if (!out.includes(KEEP_NAMES_HELPER)) throw new Error(`build: esbuild's __name helper not found in ${file}; update KEEP_NAMES_HELPER in scripts/build.ts`);
  fs.writeFileSync(file, out.replace(KEEP_NAMES_HELPER, KEEP_NAMES_CHEAPER + ' '.repeat(KEEP_NAMES_HELPER.length - KEEP_NAMES_CHEAPER.length)));
}

/** One CommonJS bundle (`options.outfile`), made lighter to load ({@link lighterCommonJs}). */
async function buildCommonJs(options: esbuild.BuildOptions & { outfile: string }): Promise<void> {
  await esbuild.build(options);
  lighterCommonJs(options.outfile);
}

/**
 * Node's `import` entry: the CommonJS build's exports, re-exported. Node then has one instance of
 * safe-state whether an application imports or requires it (no dual-package hazard); bundlers take
 * the real ES module build instead, once for both.
 */
function nodeImportEntry(index: string, what = "import 'safe-state'"): string {
  const names = Object.keys(require(index) as object).filter((n) => n !== 'default' && n !== '__esModule').sort();
  return `// Node's \`${what}\`: the CommonJS build's exports (one instance for import and require).\nexport { ${names.join(', ')} } from './${path.basename(index)}';\n`;
}

/**
 * The test kit's sources (lib/testing/) take every public name from `../index`; in its bundles that
 * import is the package's own main entry beside them, not a second copy of the library: jobs, the
 * kit and the user's `instanceof InvalidOptionsError` then share one set of classes. (What else
 * they import, the engine's probe seam, is a few lines that find each other through a global.)
 */
function mainEntryExternal(file: string): esbuild.Plugin {
  return {
    name: 'safe-state-main-entry-external',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/index$/ }, (args) => (/[\\/]lib[\\/]testing$/.test(args.resolveDir) ? { path: `./${file}`, external: true } : undefined));
    },
  };
}

/** `safe-state/testing`: CommonJS, the ES module build (bundlers) and Node's `import` entry, with their types. */
async function bundleTesting(outDir: string, common: esbuild.BuildOptions): Promise<string> {
  const entry = path.join(ROOT, 'lib', 'testing', 'index.ts');
  const cjs = path.join(outDir, 'testing.js');
  const esm = path.join(outDir, 'testing.mjs');
  await buildCommonJs({ ...common, entryPoints: [entry], outfile: cjs, plugins: [mainEntryExternal('index.js'), ...common.plugins!] });
  await esbuild.build({ ...common, format: 'esm', minifyWhitespace: false, external: ESM_EXTERNAL, entryPoints: [entry], outfile: esm, plugins: [mainEntryExternal('index.mjs'), ...common.plugins!] });
  for (const f of [cjs, esm]) {
    if (/class (SafeStateError|StateBackend|Checkpoint)\b/.test(fs.readFileSync(f, 'utf8'))) throw new Error(`build: ${f} holds a copy of the library; lib/testing/ must import public names from '../index'`);
  }
  fs.writeFileSync(path.join(outDir, 'testing.node.mjs'), nodeImportEntry(cjs, "import 'safe-state/testing'"));
  fs.writeFileSync(path.join(outDir, 'testing.d.mts'), "export * from './testing/index.js';\n");
  return cjs;
}

/**
 * Builds one entry point (`source`, under lib/) into `dir` the way package.json's `exports` map
 * expects it: `index.js` (CommonJS), `index.mjs` (ES module), `index.node.mjs` (Node's `import`),
 * and `index.d.mts` (the ES module entries' types: the CommonJS declarations, re-exported; tsc writes
 * `index.d.ts` there itself).
 */
async function buildEntry(dir: string, source: string, common: esbuild.BuildOptions, split = false): Promise<EntryBuilds> {
  const index = path.join(dir, 'index.js');
  const esm = path.join(dir, 'index.mjs');
  const nodeImport = path.join(dir, 'index.node.mjs');
  if (split) checkSplit(await buildSplit(source, { ...common, outfile: index }, lighterCommonJs));
  else await buildCommonJs({ ...common, entryPoints: [source], outfile: index });
  await esbuild.build({ ...common, format: 'esm', minifyWhitespace: false, external: ESM_EXTERNAL, banner: { js: ESM_BANNER }, entryPoints: [source], outfile: esm });
  patchEsmRequire(esm);
  fs.writeFileSync(nodeImport, nodeImportEntry(index));
  fs.writeFileSync(path.join(dir, 'index.d.mts'), "export * from './index.js';\n");
  return { index, esm, nodeImport };
}

/** Bundles the library, its subpaths and the command line into `outDir` (created when missing). */
export async function bundle(outDir: string): Promise<Bundles> {
  const cli = path.join(outDir, 'cli', 'main.js');
  const common: esbuild.BuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    keepNames: true,
    minifyWhitespace: true,
    sourcemap: true,
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    plugins: [withoutTestHooks],
    logLevel: 'error',
  };
  const { index, esm, nodeImport } = await buildEntry(outDir, path.join(ROOT, 'lib', 'index.ts'), common, true);
  // a subpath is bundled on its own: `safe-state/otel` holds only what lib/otel/ imports (it talks
  // to the engine through diagnostics channels, which are process-wide by name)
  const otel = await buildEntry(path.join(outDir, 'otel'), path.join(ROOT, 'lib', 'otel', 'index.ts'), common);
  await buildCommonJs({ ...common, entryPoints: [path.join(ROOT, 'lib', 'cli', 'main.ts')], outfile: cli });
  fs.chmodSync(cli, 0o755);
  const worker = path.join(outDir, 'blocking-worker.js');
  await buildCommonJs({ ...common, entryPoints: [path.join(ROOT, 'lib', 'backends', 'blocking', 'blocking-worker.ts')], outfile: worker });
  const testing = await bundleTesting(outDir, common);
  return { index, esm, nodeImport, cli, worker, testing, otel };
}

/**
 * The public declarations use Node's types (`Buffer`, `node:crypto`, `AsyncLocalStorage`,
 * `Symbol.asyncDispose`): the entry declaration says so itself, so that they load in a project whose
 * tsconfig lists `types` without "node" or that never named @types/node. package.json declares
 * @types/node as an optional peer dependency: a TypeScript project on Node has it already, and its
 * version should follow that project's Node version, not ours; JavaScript users need none.
 */
const NODE_TYPES_REFERENCE = '/// <reference types="node" />\n';

/** The type declarations (tsc, `--emitDeclarationOnly`) into `outDir`. */
export function declarations(outDir: string): void {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.json'), '--emitDeclarationOnly', '--outDir', outDir], { stdio: 'inherit' });
  const index = path.join(outDir, 'index.d.ts');
  fs.writeFileSync(index, NODE_TYPES_REFERENCE + fs.readFileSync(index, 'utf8'));
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist'));
  fs.rmSync(outDir, { recursive: true, force: true }); // no per-file .js left from an older build
  declarations(outDir);
  const out = await bundle(outDir);
  removeTestHookTraces(outDir);
  process.stdout.write(`built ${path.relative(process.cwd(), out.index)}, ${path.relative(process.cwd(), out.cli)} and the declarations\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`build failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
