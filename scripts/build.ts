/**
 * `npm run build`: the published package, in `dist/`.
 *
 * - `dist/index.js`: `lib/index.ts` and every source file it imports, bundled into one CommonJS
 *   file by esbuild (the transpiler tsx uses, so the same stage-3 decorator lowering as in the
 *   tests and samples). One file instead of one module per source file: node resolves, reads and
 *   compiles one module at start-up instead of about 140, which is most of what loading safe-state
 *   costs (see docs/benchmarks.md, "Where the resume latency goes").
 * - `dist/cli/main.js`: the command line (package.json `bin`), bundled the same way.
 * - `dist/**\/*.d.ts`: the type declarations, one per source file, from tsc.
 *
 * Packages stay outside the bundles: dependencies (proper-lockfile, devalue) and the optional
 * drivers are `require()`d from node_modules at run time, at the place and the moment the sources
 * require them (so the lazily loaded ones stay lazy). Names are kept (`keepNames`): error classes
 * name themselves after their class.
 *
 * Usage: `tsx scripts/build.ts [outDir]` (default `dist`; the directory is emptied first).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..');

/** What {@link bundle} wrote. */
export interface Bundles {
  /** the package's main file (`<outDir>/index.js`) */
  index: string;
  /** the command line (`<outDir>/cli/main.js`) */
  cli: string;
}

/** Bundles the library and the command line into `outDir` (created when missing). */
export async function bundle(outDir: string): Promise<Bundles> {
  const index = path.join(outDir, 'index.js');
  const cli = path.join(outDir, 'cli', 'main.js');
  const common: esbuild.BuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    sourcemap: true,
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    logLevel: 'error',
  };
  await esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'lib', 'index.ts')], outfile: index });
  await esbuild.build({ ...common, entryPoints: [path.join(ROOT, 'lib', 'cli', 'main.ts')], outfile: cli });
  fs.chmodSync(cli, 0o755);
  return { index, cli };
}

/** The type declarations (tsc, `--emitDeclarationOnly`) into `outDir`. */
export function declarations(outDir: string): void {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.json'), '--emitDeclarationOnly', '--outDir', outDir], { stdio: 'inherit' });
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist'));
  fs.rmSync(outDir, { recursive: true, force: true }); // no per-file .js left from an older build
  declarations(outDir);
  const out = await bundle(outDir);
  process.stdout.write(`built ${path.relative(process.cwd(), out.index)}, ${path.relative(process.cwd(), out.cli)} and the declarations\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`build failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
