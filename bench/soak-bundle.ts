/**
 * How the soaks start their job children (bench/soak-child.ts, bench/exactly-once-child.ts): as an
 * esbuild bundle of the child and the library sources run under plain node, like the crash tests'
 * children (spec/crash/crash-harness.ts, childCommand), so a run costs a node start rather than
 * tsx compiling the sources again (~0.5 s of CPU per run; a soak starts hundreds of runs).
 *
 * Unlike the crash tests' bundle, the database drivers (better-sqlite3, mysql2, pg, ioredis, knex)
 * stay outside it and load from node_modules at run time, as they do for a user: better-sqlite3
 * finds its native addon relative to its own files, which a bundle would break, and
 * `SqlBackend.fromUrl` loads its driver by a computed name, which esbuild cannot follow. The bundle
 * is written to a temporary directory beside a `node_modules` link to the repository's, so those
 * requires resolve; the directory is removed when the process exits.
 *
 * Never the tsx CLI: it forks a second process, so a SIGKILL would miss the job. When esbuild
 * cannot be loaded, the child runs through `node --import tsx` (one process, just slower).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..');
/** Driver packages (and their subpaths) left outside the bundle. */
const DRIVERS = ['better-sqlite3', 'mysql2', 'pg', 'pg-native', 'ioredis', 'knex'];

const built = new Map<string, string[]>();
const dirs: string[] = [];

/** Removes the bundles built so far (also done at exit; a process ended by a signal calls this first). */
export function removeSoakBundles(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** node's arguments that start `script` (a .ts child of the soaks), before its own arguments. */
export function soakChildCommand(script: string): string[] {
  let cmd = built.get(script);
  if (!cmd) {
    cmd = bundle(script) ?? ['--import', 'tsx', script];
    built.set(script, cmd);
  }
  return cmd;
}

function bundle(script: string): string[] | null {
  if (process.env.CRASH_CHILD_RUNNER === 'tsx') return null;
  let esbuild: { buildSync(o: Record<string, unknown>): unknown };
  try {
    // esbuild comes with tsx (the transpiler tsx itself uses: the same stage-3 decorator lowering)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    esbuild = require(require.resolve('esbuild', { paths: [path.dirname(require.resolve('tsx/package.json', { paths: [REPO] }))] }));
  } catch {
    return null;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-soak-child-'));
  if (dirs.push(dir) === 1) process.once('exit', removeSoakBundles);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const out = path.join(dir, path.basename(script).replace(/\.ts$/, '.cjs'));
  esbuild.buildSync({
    entryPoints: [script],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: out,
    external: DRIVERS,
    tsconfig: path.join(REPO, 'tsconfig.json'),
    logLevel: 'error',
  });
  return [out];
}
