/**
 * Bundles a TypeScript child script (and the library sources it imports) into one CommonJS file
 * with esbuild, so a crash test or a soak starts it under plain node: a run then costs a node start
 * rather than tsx compiling the sources again (~0.5 s of CPU; a series starts hundreds of runs).
 * esbuild is the transpiler tsx itself uses, so the stage-3 decorators are lowered the same way.
 *
 * `external` packages stay outside the bundle and load from the repository's node_modules at run
 * time (a `node_modules` link is put beside the bundle): native addons (better-sqlite3) and
 * drivers loaded by a computed name (`SqlBackend.fromUrl`) need that.
 *
 * Answers null when esbuild cannot be loaded, or when CRASH_CHILD_RUNNER=tsx asks for tsx: the
 * caller then runs the script through `node --import tsx` (one process; never the tsx CLI, which
 * forks, so a SIGKILL would miss the job). The bundle's directory is removed at exit.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const dirs: string[] = [];

/** Removes the bundles built so far (also done at exit; a process ended by a signal calls this first). */
export function removeChildBundles(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** The bundle of `script` (a new one per call), or null (see the file comment). */
export function bundleChild(script: string, external: readonly string[] = []): string | null {
  if (process.env.CRASH_CHILD_RUNNER === 'tsx') return null;
  let esbuild: { buildSync(o: Record<string, unknown>): unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    esbuild = require(require.resolve('esbuild', { paths: [path.dirname(require.resolve('tsx/package.json', { paths: [REPO] }))] }));
  } catch {
    return null;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-child-'));
  if (dirs.push(dir) === 1) process.once('exit', removeChildBundles);
  if (external.length > 0) fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const out = path.join(dir, path.basename(script).replace(/\.ts$/, '.cjs'));
  esbuild.buildSync({
    entryPoints: [script],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: out,
    external: [...external],
    tsconfig: path.join(REPO, 'tsconfig.json'),
    // as users ship bundles: a job's default name then comes from its source module, not the bundle
    sourcemap: 'linked',
    logLevel: 'error',
  });
  return out;
}
