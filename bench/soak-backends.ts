import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileBackend, RedisBackend, SqlBackend, type Durability, type StateBackend } from '../lib/index';
import { openSoakDatabase } from './exactly-once-db';
import type { ServerKind } from './soak-servers';

/**
 * The backends the at-least-once soak (bench/soak.ts) kills jobs on: FileBackend ('strict' and
 * 'process' durability), RedisBackend, and SqlBackend over SQLite (better-sqlite3), MariaDB and
 * PostgreSQL. Adding a backend is one entry here: the soak's parent calls `place()` once per series
 * (one job) and `open()` to read checkpoints after kills; each child run calls `open()` with the same
 * place (JSON, so it crosses the process boundary). Servers come from bench/soak-servers.ts.
 *
 * Two properties of a backend shape what the soak may expect of it:
 *
 * - `loops`: the loop forms it is soaked under. SPEC §4: a `for..of` step cannot await, so only a
 *   backend that can save synchronously (File, SQLite: `saveSync`) keeps "at most the item in flight
 *   repeats" under `for..of` (over an array or a sync generator). On the others (Redis, MariaDB,
 *   PostgreSQL) a `for..of` step only starts the save, and a kill may repeat the items completed
 *   since the last save that finished: documented, so not a violation, and not what this soak
 *   checks. Their entries soak `for await` (over an array) and async generators, where the engine
 *   awaits each save before it hands out the next item.
 * - `savePhases`: whether it writes the save phase bytes `S`/`F`/`D` to the crash tests' phase pipe.
 *   Only FileBackend does; the others' saves are silent (only the engine's `B`, an item handed to
 *   the body, is written). The soak then aims kills at a `B` or a random short time after one (in
 *   the body, the save or the next item), and leaves out the checks that read a save's progress
 *   from the last phase byte (see `checkAfterKill`'s `exactLanding`): with no `S` written, a last
 *   byte `B` does not tell whether the body had asked for the next item and its save finished.
 *
 * Left out on purpose: MemoryBackend (it lives in the killed process, so nothing outlives a kill to
 * check). The exactly-once transaction mode has its own soak (bench/exactly-once-soak.ts), run by
 * `npm run soak` too (bench/soak-exactly-once.ts).
 */
export interface SoakBackend {
  /** short stable id (`--backends` takes a comma-separated list of them) */
  id: string;
  label: string;
  /** the durability the jobs run with */
  durability: Durability;
  /** the loop forms soaked on this backend (see above) */
  loops: readonly SoakLoop[];
  /** whether the backend writes the save phase bytes S, F, D (see above) */
  savePhases: boolean;
  /** the server the backend needs (bench/soak-servers.ts), or null */
  server: ServerKind | null;
  /** why the backend cannot run here (a driver missing), or null when it can (servers aside) */
  unavailable(): string | null;
  /** where one series keeps its state (a directory, a key prefix, a table), made in the parent */
  place(scratch: string, series: string, serverUrl: string | null): Promise<SoakPlace> | SoakPlace;
  /** the backend at a place: in every child run, and in the parent to read checkpoints */
  open(place: SoakPlace): Promise<StateBackend> | StateBackend;
  /** removes what `place()` made (best effort; the scratch directory is removed anyway) */
  cleanup?(place: SoakPlace): Promise<void> | void;
}

/** How a run's job body iterates its items: `for..of` / `for await` over an array, or a generator. */
export type SoakLoop = 'for-of' | 'for-await' | 'async-gen' | 'sync-gen';

/** Every loop form: for the backends that can save synchronously. */
export const ALL_LOOPS: readonly SoakLoop[] = ['for-of', 'for-await', 'async-gen', 'sync-gen'];
/** The loop forms that await each save: for the backends that cannot save synchronously. */
export const ASYNC_LOOPS: readonly SoakLoop[] = ['for-await', 'async-gen'];

/** Where a series keeps its state: plain strings, passed to the child runs as JSON. */
export type SoakPlace = Record<string, string>;

function fileBackend(durability: Durability): SoakBackend {
  return {
    id: `file-${durability}`,
    label: `File '${durability}'`,
    durability,
    loops: ALL_LOOPS,
    savePhases: true,
    server: null,
    unavailable: () => null,
    place: (scratch, series) => {
      const dir = path.join(scratch, series, 'state');
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      return { dir };
    },
    open: (p) => new FileBackend({ dir: p.dir }),
  };
}

function driverMissing(pkg: string): string | null {
  try {
    require.resolve(pkg);
    return null;
  } catch {
    return `the ${pkg} package is not installed (npm install ${pkg})`;
  }
}

/** A short token of this soak run (its scratch directory), so key prefixes and tables of concurrent soaks on one server never meet. */
function runToken(scratch: string): string {
  return createHash('sha256').update(path.resolve(scratch)).digest('hex').slice(0, 8);
}

/** Deletes every job a place still holds (a job aborted by a violation leaves its checkpoint). */
async function deleteJobs(backend: StateBackend): Promise<void> {
  try {
    for (const name of await backend.list()) await backend.delete(name);
  } finally {
    await backend.close();
  }
}

const redis: SoakBackend = {
  id: 'redis',
  label: 'Redis',
  durability: 'strict',
  loops: ASYNC_LOOPS,
  savePhases: false,
  server: 'redis',
  unavailable: () => driverMissing('ioredis'),
  place: (scratch, series, url) => ({ url: url!, prefix: `safe-state-soak:${runToken(scratch)}:${series}:` }),
  open: (p) => RedisBackend.fromUrl(p.url, { prefix: p.prefix }),
  cleanup: async (p) => deleteJobs(RedisBackend.fromUrl(p.url, { prefix: p.prefix })),
};

const sqlite: SoakBackend = {
  id: 'sqlite',
  label: 'SQLite',
  durability: 'strict',
  loops: ALL_LOOPS, // better-sqlite3 answers synchronously: SqlBackend offers saveSync
  savePhases: false,
  server: null,
  unavailable: () => driverMissing('better-sqlite3'),
  place: (scratch, series) => {
    const dir = path.join(scratch, series);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return { url: `sqlite:${path.join(dir, 'state.db')}`, table: 'safe_state_checkpoints' };
  },
  open: (p) => SqlBackend.fromUrl(p.url, { table: p.table }),
};

function serverSql(id: string, label: string, server: 'mysql' | 'postgres', pkg: string): SoakBackend {
  return {
    id,
    label,
    durability: 'strict',
    loops: ASYNC_LOOPS,
    savePhases: false,
    server,
    unavailable: () => driverMissing(pkg),
    // a table per series, named after this soak run, so nothing of another run (or test) is touched
    place: (scratch, series, url) => ({ url: url!, table: `soak_${runToken(scratch)}_${series.replace(/[^a-z0-9]/gi, '_').toLowerCase()}` }),
    open: (p) => SqlBackend.fromUrl(p.url, { table: p.table }),
    cleanup: async (p) => {
      await deleteJobs(SqlBackend.fromUrl(p.url, { table: p.table }));
      const db = openSoakDatabase(server, p.url);
      try {
        await db.query(`DROP TABLE IF EXISTS ${p.table}`);
      } finally {
        await db.close();
      }
    },
  };
}

export const SOAK_BACKENDS: SoakBackend[] = [
  fileBackend('strict'),
  fileBackend('process'),
  redis,
  sqlite,
  serverSql('mariadb', 'MariaDB', 'mysql', 'mysql2'),
  serverSql('postgres', 'PostgreSQL', 'postgres', 'pg'),
];

/** What the soak does not run, and why (printed in its summary). */
export const SOAK_SKIPPED: { what: string; why: string }[] = [
  { what: 'MemoryBackend', why: 'in-process: nothing outlives a kill to check' },
  {
    what: "for..of on Redis, MariaDB, PostgreSQL",
    why: 'a for..of step cannot await the save, so a kill may repeat the items completed since the last finished save (SPEC §4, documented); soaked under for await and async generators',
  },
];
