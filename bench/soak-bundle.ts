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
import { bundleChild, removeChildBundles } from '../spec/crash/bundle-child';

/** Driver packages (and their subpaths) left outside the bundle. */
const DRIVERS = ['better-sqlite3', 'mysql2', 'pg', 'pg-native', 'ioredis', 'knex'];

const built = new Map<string, string[]>();

/** Removes the bundles built so far (also done at exit; a process ended by a signal calls this first). */
export function removeSoakBundles(): void {
  removeChildBundles();
}

/** node's arguments that start `script` (a .ts child of the soaks), before its own arguments. */
export function soakChildCommand(script: string): string[] {
  let cmd = built.get(script);
  if (!cmd) {
    const out = bundleChild(script, DRIVERS);
    cmd = out ? [out] : ['--import', 'tsx', script];
    built.set(script, cmd);
  }
  return cmd;
}
