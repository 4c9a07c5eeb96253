import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StateBackend } from '../backends/state-backend';
import { FileBackend } from '../backends/file/file-backend';
import { BackendError } from '../errors/backend-error';
import type { BackendArgs } from './args';
import { displayPath } from './format';

/** The backend the command line chose, with what the commands need to talk about it. @internal */
export interface SelectedBackend {
  backend: StateBackend;
  /** For messages: `directory .safe_state`, `redis://host:6379`, … */
  where: string;
  /** For `--json`: the kind of backend and where it is. */
  info: { type: 'file'; dir: string } | { type: 'redis' | 'sqlite' | 'mysql' | 'postgres'; location: string };
  /**
   * Checkpoint files that {@link StateBackend.list} could not name (their header is unreadable),
   * so `list` can report them. Empty for backends other than files.
   */
  unlistedFiles(): Promise<string[]>;
  /** Releases the backend's connections. */
  close(): Promise<void>;
}

const NOT_BUILT: Record<Exclude<keyof BackendArgs, 'dir'>, string> = {
  redis: 'the Redis backend',
  sqlite: 'the SQL backend (SQLite)',
  mysql: 'the SQL backend (MySQL)',
  postgres: 'the SQL backend (PostgreSQL)',
};

/**
 * Opens the backend named by `--dir` (the default, `.safe_state`), `--redis`, `--sqlite`, `--mysql`
 * or `--postgres`. The one place that knows how a flag becomes a backend. Fails with
 * {@link BackendError} (exit code 4) when the backend cannot be used.
 * @internal
 */
export function backendFromArgs(args: BackendArgs): SelectedBackend {
  for (const flag of ['redis', 'sqlite', 'mysql', 'postgres'] as const) {
    if (args[flag] !== undefined) {
      throw new BackendError(`--${flag} requires ${NOT_BUILT[flag]}, not available in this build of safe-state`);
    }
  }
  const backend = new FileBackend({ dir: args.dir ?? '.safe_state' });
  return {
    backend,
    where: `directory ${displayPath(backend.dir)}`,
    info: { type: 'file', dir: backend.dir },
    unlistedFiles: async () => {
      let entries: string[];
      try {
        entries = await fs.promises.readdir(backend.dir);
      } catch {
        return [];
      }
      // every entry whose header names a job, safe-state's own entries included
      const known = new Set((await backend.list()).map((name) => path.basename(backend.location(name))));
      return entries.filter((e) => e.endsWith('.safestate') && !known.has(e)).sort().map((e) => path.join(backend.dir, e));
    },
    close: () => backend.close(),
  };
}
