import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { bundle } from '../scripts/build';

/**
 * Builds what the resume-latency benchmark runs under plain node:
 *
 * - `dist`: the package as `npm run build` makes it (scripts/build.ts: `dist/index.js`, a bundle
 *   of lib/ whose rarely used half loads at first use, dependencies loaded from node_modules): what
 *   an application that installed safe-state loads.
 * - `perFile`: lib/ compiled file by file to CommonJS, one module per source file: the layout the
 *   package had before it was bundled (`tsc`), kept for comparison.
 * - child scripts bundled on their own (esbuild), importing either of those (`require` of its
 *   `index.js`), or with the library bundled into the child (an application that bundles its
 *   dependencies; the packages still from node_modules).
 *
 * `<out>/node_modules` links to the repository's, so the built files find the dependencies.
 */
export const REPO_ROOT = path.resolve(__dirname, '..');

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
  /** the child importing the built package (`<out>/dist/index.js`) */
  dist: string;
  /** the child importing the per-file layout */
  perFile: string;
  /** the child with the library bundled in */
  bundle: string;
  /** the probe importing the built package */
  probe: string;
  /** the built package's `index.js` (to time loading it alone) */
  distIndex: string;
  /** the per-file layout's `index.js` */
  perFileIndex: string;
}

/** A plugin resolving the child's import of lib/index to `target` (left to node at run time). */
export function libIndexTo(target: string): esbuild.Plugin {
  const libIndex = path.join(REPO_ROOT, 'lib', 'index');
  return {
    name: 'safe-state-from-build',
    setup(build) {
      build.onResolve({ filter: /lib\/index$/ }, (args) => (path.resolve(args.resolveDir, args.path) === libIndex ? { path: target, external: true } : undefined));
    },
  };
}

/** Builds the package, the per-file layout, the child script `entry` (three ways) and the `probe` script into `out`. */
export async function buildChild(out: string, entry: string, probe: string): Promise<BuiltChild> {
  fs.mkdirSync(out, { recursive: true });
  const link = path.join(out, 'node_modules');
  if (!fs.existsSync(link)) fs.symlinkSync(fs.realpathSync(path.join(REPO_ROOT, 'node_modules')), link, 'dir');
  const { index: distIndex } = await bundle(path.join(out, 'dist'));
  const common: esbuild.BuildOptions = { platform: 'node', format: 'cjs', target: 'node20', keepNames: true, tsconfig: path.join(REPO_ROOT, 'tsconfig.json'), logLevel: 'error' };
  const perFileDir = path.join(out, 'per-file');
  await esbuild.build({ ...common, entryPoints: sources(path.join(REPO_ROOT, 'lib')), outdir: perFileDir, outbase: path.join(REPO_ROOT, 'lib'), bundle: false });
  const perFileIndex = path.join(perFileDir, 'index.js');
  const child: esbuild.BuildOptions = { ...common, bundle: true, packages: 'external', banner: { js: BANNER } };
  const built: BuiltChild = {
    dist: path.join(out, 'child-dist.cjs'),
    perFile: path.join(out, 'child-per-file.cjs'),
    bundle: path.join(out, 'child-bundle.cjs'),
    probe: path.join(out, 'probe-dist.cjs'),
    distIndex,
    perFileIndex,
  };
  await esbuild.build({ ...child, entryPoints: [entry], outfile: built.dist, plugins: [libIndexTo(distIndex)] });
  await esbuild.build({ ...child, entryPoints: [entry], outfile: built.perFile, plugins: [libIndexTo(perFileIndex)] });
  await esbuild.build({ ...child, entryPoints: [entry], outfile: built.bundle });
  await esbuild.build({ ...child, entryPoints: [probe], outfile: built.probe, plugins: [libIndexTo(distIndex)] });
  return built;
}
