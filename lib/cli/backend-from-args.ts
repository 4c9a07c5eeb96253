import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StateBackend } from '../backends/state-backend';
import { FileBackend } from '../backends/file/file-backend';
import { openBackendUrl, parseBackendUrl, type BackendUrl } from '../config/backend-url';
import { environmentUrl, URL_ENV } from '../config/default-backend';
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
  info: { type: 'file'; dir: string } | { type: 'redis' | 'sqlite' | 'mysql' | 'postgres' | 'memory'; location: string };
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

/** A `--sqlite FILE` (or `sqlite:` URL) backend: inspecting must not create a database, so the file has to be there. */
function sqliteBackend(file: string, option: string): SelectedBackend {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new BackendError(`no SQLite database at ${displayPath(abs)}`);
  const backend = openBackendUrl(parseBackendUrl(`sqlite:${abs}`, option), option);
  return serverBackend(backend, `SQLite database ${displayPath(abs)}`, { type: 'sqlite', location: abs });
}

/** A server (or memory) backend of a checked URL, opened like SAFE_STATE_URL's for jobs (lib/config/backend-url.ts). */
function urlBackend(u: BackendUrl, option: string): SelectedBackend {
  return serverBackend(openBackendUrl(u, option), u.display, { type: u.kind as 'redis' | 'mysql' | 'postgres' | 'memory', location: u.display });
}

/**
 * Opens the backend named by `--dir`, `--redis`, `--sqlite`, `--mysql` or `--postgres`; with none
 * of them, the one of the `SAFE_STATE_URL` environment variable (as jobs do), else the directory
 * `$SAFE_STATE_DIR`, else `.safe_state`. The one place that knows how a flag becomes a backend.
 * Fails with {@link BackendError} (exit code 4) when the backend cannot be used, and with
 * `InvalidOptionsError` (exit code 2) when a URL is not one.
 * @internal
 */
export function backendFromArgs(args: BackendArgs): SelectedBackend {
  if (args.redis !== undefined) {
    const u = parseBackendUrl(args.redis, 'redis');
    if (u.kind !== 'redis') throw new InvalidOptionsError('redis', `--redis needs a redis:// or rediss:// URL (got ${JSON.stringify(u.display)})`);
    return urlBackend(u, 'redis');
  }
  if (args.sqlite !== undefined) return sqliteBackend(args.sqlite, 'sqlite');
  for (const flag of ['mysql', 'postgres'] as const) {
    const url = args[flag];
    if (url === undefined) continue;
    if (!new RegExp(`^${flag === 'mysql' ? '(mysql|mariadb)' : 'postgres(ql)?'}://`, 'i').test(url)) {
      throw new InvalidOptionsError(flag, `--${flag} needs a ${flag === 'mysql' ? 'mysql://' : 'postgres://'} URL (got ${JSON.stringify(redactUrl(url))})`);
    }
    return urlBackend(parseBackendUrl(url, flag), flag);
  }
  const envUrl = args.dir === undefined ? environmentUrl() : undefined;
  if (envUrl !== undefined) {
    const u = parseBackendUrl(envUrl, URL_ENV);
    if (u.kind === 'sqlite') return sqliteBackend(u.path!, URL_ENV);
    if (u.kind !== 'file') return urlBackend(u, URL_ENV);
    return fileBackend(u.path!);
  }
  return fileBackend(args.dir);
}

/** A FileBackend directory, with what `list` needs to report unreadable files. */
function fileBackend(dir: string | undefined): SelectedBackend {
  const backend = new FileBackend({ dir }) /* default: SAFE_STATE_DIR, else .safe_state */;
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
