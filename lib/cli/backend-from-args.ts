import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StateBackend } from '../backends/state-backend';
import { FileBackend } from '../backends/file/file-backend';
import { RedisBackend } from '../backends/redis/redis-backend';
import { SqlBackend } from '../backends/sql/sql-backend';
import { BackendError } from '../errors/backend-error';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import type { BackendArgs } from './args';
import { displayPath } from './format';
import { redactUrl } from '../util/redact-url';

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


/** A Redis or SQL backend, with nothing to add for `list`. */
function serverBackend(backend: StateBackend, where: string, info: SelectedBackend['info']): SelectedBackend {
  return { backend, where, info, unlistedFiles: async () => [], close: () => backend.close() };
}

/**
 * Opens the backend named by `--dir` (the default, `.safe_state`), `--redis`, `--sqlite`, `--mysql`
 * or `--postgres`. The one place that knows how a flag becomes a backend. Fails with
 * {@link BackendError} (exit code 4) when the backend cannot be used, and with
 * `InvalidOptionsError` (exit code 2) when a URL is not one.
 * @internal
 */
export function backendFromArgs(args: BackendArgs): SelectedBackend {
  if (args.redis !== undefined) {
    const location = redactUrl(args.redis);
    return serverBackend(RedisBackend.fromUrl(args.redis), location, { type: 'redis', location });
  }
  if (args.sqlite !== undefined) {
    const file = path.resolve(args.sqlite);
    // inspecting must not create a database: the file has to be there
    if (!fs.existsSync(file)) throw new BackendError(`no SQLite database at ${displayPath(file)}`);
    return serverBackend(SqlBackend.fromUrl(`sqlite:${file}`), `SQLite database ${displayPath(file)}`, { type: 'sqlite', location: file });
  }
  for (const flag of ['mysql', 'postgres'] as const) {
    const url = args[flag];
    if (url === undefined) continue;
    if (!new RegExp(`^${flag === 'mysql' ? '(mysql|mariadb)' : 'postgres(ql)?'}://`, 'i').test(url)) {
      throw new InvalidOptionsError(flag, `--${flag} needs a ${flag === 'mysql' ? 'mysql://' : 'postgres://'} URL (got ${JSON.stringify(redactUrl(url))})`);
    }
    const location = redactUrl(url);
    return serverBackend(SqlBackend.fromUrl(url), location, { type: flag, location });
  }
  const backend = new FileBackend({ dir: args.dir }) /* default: SAFE_STATE_DIR, else .safe_state */;
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
