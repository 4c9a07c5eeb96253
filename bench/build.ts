import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Builds what the resume-latency benchmark runs under plain node, with esbuild (the transpiler tsx
 * uses, so the same stage-3 decorator lowering as everywhere else in the repository):
 *
 * - `dist`: lib/ compiled file by file to CommonJS (`<out>/dist/**\/*.js`), the layout `tsc`
 *   gives `npm run build` and an installed package: one module per source file, dependencies
 *   (proper-lockfile, devalue, reflect-metadata) loaded from node_modules.
 * - a child script bundled on its own, importing either that dist (`require` of
 *   `<out>/dist/index.js`) or the library bundled into it (one file; dependencies still from
 *   node_modules): the two ways an application loads safe-state.
 *
 * `<out>/node_modules` links to the repository's, so the built files find the dependencies.
 */
export const REPO_ROOT = path.resolve(__dirname, '..');

interface EsbuildPlugin {
  name: string;
  setup(build: { onResolve(o: { filter: RegExp }, cb: (args: { path: string; resolveDir: string }) => { path: string; external: boolean } | undefined): void }): void;
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/** esbuild, as installed with tsx (a dev dependency), or null when it cannot be loaded. */
export function loadEsbuild(): Esbuild | null {
  try {
    const tsxDir = path.dirname(require.resolve('tsx/package.json', { paths: [REPO_ROOT] }));
    return require(require.resolve('esbuild', { paths: [tsxDir] })) as Esbuild;
  } catch {
    return null;
  }
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const BANNER = 'globalThis.__safeStateBenchStart = performance.now();';

export interface BuiltChild {
  /** the child importing the per-file dist */
  dist: string;
  /** the child with the library bundled in */
  bundle: string;
  /** the probe importing the per-file dist */
  probe: string;
  /** dist/index.js (to time loading it alone) */
  distIndex: string;
}

/** Builds lib/, the child script `entry` (both ways) and the `probe` script (dist) into `out`. */
export async function buildChild(out: string, entry: string, probe: string): Promise<BuiltChild> {
  const esbuild = loadEsbuild();
  if (!esbuild) throw new Error('esbuild (installed with tsx) cannot be loaded: the resume latency needs it to build the child');
  fs.mkdirSync(out, { recursive: true });
  const link = path.join(out, 'node_modules');
  if (!fs.existsSync(link)) fs.symlinkSync(fs.realpathSync(path.join(REPO_ROOT, 'node_modules')), link, 'dir');
  const common = { platform: 'node', format: 'cjs', target: 'node20', tsconfig: path.join(REPO_ROOT, 'tsconfig.json'), logLevel: 'error' };
  const distDir = path.join(out, 'dist');
  await esbuild.build({ ...common, entryPoints: sources(path.join(REPO_ROOT, 'lib')), outdir: distDir, outbase: path.join(REPO_ROOT, 'lib'), bundle: false });
  const distIndex = path.join(distDir, 'index.js');
  const libIndex = path.join(REPO_ROOT, 'lib', 'index');
  const toDist: EsbuildPlugin = {
    name: 'safe-state-from-dist',
    setup(build) {
      build.onResolve({ filter: /lib\/index$/ }, (args) => (path.resolve(args.resolveDir, args.path) === libIndex ? { path: distIndex, external: true } : undefined));
    },
  };
  const dist = path.join(out, 'child-dist.cjs');
  const bundle = path.join(out, 'child-bundle.cjs');
  const probeOut = path.join(out, 'probe-dist.cjs');
  const child = { ...common, bundle: true, packages: 'external', banner: { js: BANNER } };
  await esbuild.build({ ...child, entryPoints: [entry], outfile: dist, plugins: [toDist] });
  await esbuild.build({ ...child, entryPoints: [entry], outfile: bundle });
  await esbuild.build({ ...child, entryPoints: [probe], outfile: probeOut, plugins: [toDist] });
  return { dist, bundle, probe: probeOut, distIndex };
}
