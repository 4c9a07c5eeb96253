import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileBackend, type Durability, type StateBackend } from '../lib/index';

/**
 * The backends the soak (bench/soak.ts) kills jobs on. Adding a backend is one entry here: the
 * soak's parent calls `place()` once per series and `open()` to read checkpoints after kills; each
 * child run calls `open()` with the same place (JSON, so it crosses the process boundary).
 *
 * Left out on purpose: MemoryBackend (it lives in the killed process, so nothing outlives a kill to
 * check). RedisBackend and SqlBackend are not on this branch yet; each will be one entry, e.g.
 *
 * ```ts
 * {
 *   id: 'redis', label: 'Redis', durability: 'strict',
 *   unavailable: () => (process.env.SAFE_STATE_SOAK_REDIS_URL ? null : 'set SAFE_STATE_SOAK_REDIS_URL'),
 *   place: (_scratch, series) => ({ url: process.env.SAFE_STATE_SOAK_REDIS_URL!, prefix: `soak:${series}:` }),
 *   open: (p) => RedisBackend.fromUrl(p.url, { prefix: p.prefix }),
 * }
 * ```
 */
export interface SoakBackend {
  /** short stable id (`--backends` takes a comma-separated list of them) */
  id: string;
  label: string;
  /** the durability the jobs run with */
  durability: Durability;
  /** why the backend cannot run here (no server, no driver), or null when it can */
  unavailable(): Promise<string | null> | string | null;
  /** where one series keeps its state (a directory, a key prefix, a table), made in the parent */
  place(scratch: string, series: string): Promise<SoakPlace> | SoakPlace;
  /** the backend at a place: in every child run, and in the parent to read checkpoints */
  open(place: SoakPlace): Promise<StateBackend> | StateBackend;
  /** removes what `place()` made (best effort; the scratch directory is removed anyway) */
  cleanup?(place: SoakPlace): Promise<void> | void;
}

/** Where a series keeps its state: plain strings, passed to the child runs as JSON. */
export type SoakPlace = Record<string, string>;

function fileBackend(durability: Durability): SoakBackend {
  return {
    id: `file-${durability}`,
    label: `File '${durability}'`,
    durability,
    unavailable: () => null,
    place: (scratch, series) => {
      const dir = path.join(scratch, series, 'state');
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      return { dir };
    },
    open: (p) => new FileBackend({ dir: p.dir }),
  };
}

export const SOAK_BACKENDS: SoakBackend[] = [fileBackend('strict'), fileBackend('process')];

/** What the soak does not run, and why (printed in its summary). */
export const SOAK_SKIPPED: { what: string; why: string }[] = [
  { what: 'MemoryBackend', why: 'in-process: nothing outlives a kill to check' },
  { what: 'RedisBackend, SqlBackend', why: 'not on this branch yet (one entry each in bench/soak-backends.ts)' },
  { what: 'exactly-once transaction mode (zero repeats)', why: 'transactions are not built yet' },
];
