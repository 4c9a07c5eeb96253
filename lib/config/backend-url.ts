import * as path from 'node:path';
import type { StateBackend } from '../backends/state-backend';
import { FileBackend } from '../backends/file/file-backend';
import { MemoryBackend } from '../backends/memory';
import { RedisBackend } from '../backends/redis/redis-backend';
import { SqlBackend } from '../backends/sql/sql-backend';
import { BackendError } from '../errors/backend-error';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { redactUrl } from '../util/redact-url';

/** What kind of storage a backend URL names. @internal */
export type BackendUrlKind = 'redis' | 'postgres' | 'mysql' | 'sqlite' | 'file' | 'memory';

/** A backend URL, checked but not opened. @internal */
export interface BackendUrl {
  kind: BackendUrlKind;
  /** the URL as given (may hold credentials: never print it) */
  url: string;
  /** for messages: the URL with its password and secret query parameters replaced by `***` */
  display: string;
  /** `sqlite:` and `file:` URLs: the path as written (relative to the working directory when not absolute) */
  path?: string;
}

/** The URL forms, for messages. @internal */
export const URL_FORMS = 'redis://, rediss://, postgres://, postgresql://, mysql://, mariadb://, sqlite:<file>, file:<dir> or memory:';

const KINDS: Record<string, BackendUrlKind> = {
  redis: 'redis', rediss: 'redis', postgres: 'postgres', postgresql: 'postgres', mysql: 'mysql', mariadb: 'mysql',
  sqlite: 'sqlite', file: 'file', memory: 'memory',
};

/**
 * Checks a backend URL (`SAFE_STATE_URL`, `configure({ backend: url })`) without opening anything:
 * a known scheme, a server URL that parses and names a host, a path for `sqlite:` and `file:`.
 * Messages never show the URL's credentials.
 * @param url - the URL
 * @param option - what to name in errors (`SAFE_STATE_URL`, `backend`)
 * @throws InvalidOptionsError naming `option`
 * @internal
 */
export function parseBackendUrl(url: unknown, option: string): BackendUrl {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new InvalidOptionsError(option, `${option}: must be a backend URL (${URL_FORMS}); got ${url === '' ? 'an empty string' : typeof url}`);
  }
  const display = redactUrl(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const kind = scheme === undefined ? undefined : KINDS[scheme];
  if (kind === undefined) {
    const hint = scheme === undefined ? ` (for a directory write file:${display}, or set SAFE_STATE_DIR)` : '';
    throw new InvalidOptionsError(option, `${option}: unknown backend URL ${JSON.stringify(display)}${hint}; use ${URL_FORMS}`);
  }
  const rest = url.slice(scheme!.length + 1);
  if (kind === 'memory') {
    if (rest !== '' && rest !== '//') throw new InvalidOptionsError(option, `${option}: a memory backend URL is just memory: (got ${JSON.stringify(display)})`);
    return { kind, url, display };
  }
  if (kind === 'sqlite' || kind === 'file') {
    const p = rest.replace(/^\/\//, ''); // sqlite:///abs/file.db, file://relative/dir
    if (p === '' || p.includes('\0')) {
      throw new InvalidOptionsError(option, `${option}: ${JSON.stringify(display)} names no ${kind === 'sqlite' ? 'SQLite file (sqlite:path/to/file.db)' : 'directory (file:path/to/dir)'}`);
    }
    return { kind, url, display, path: p };
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    /* reported below */
  }
  if (!parsed || parsed.hostname === '') {
    throw new InvalidOptionsError(option, `${option}: ${JSON.stringify(display)} is not a valid ${scheme}:// URL (${scheme}://[user:password@]host[:port]${kind === 'redis' ? '[/db]' : '/database'})`);
  }
  return { kind, url, display };
}

/**
 * Opens the backend a checked URL names, loading its driver (ioredis, pg, mysql2, better-sqlite3)
 * only now. Server backends are opened like `RedisBackend.fromUrl` / `SqlBackend.fromUrl` do: they
 * fail fast when the server is away and do not keep the process alive while idle. A relative
 * `sqlite:` or `file:` path is resolved against the working directory now.
 * @param u - from {@link parseBackendUrl}
 * @param option - what to name in errors
 * @throws BackendError when the driver is not installed or the database cannot be opened (the
 *   message names the package to install and shows the URL without credentials)
 * @internal
 */
export function openBackendUrl(u: BackendUrl, option: string): StateBackend {
  const backend = open(u, option);
  labels.set(backend, u.kind === 'sqlite' ? `sqlite:${path.resolve(u.path!)}` : u.display);
  return backend;
}

/** What verbose lines call backends opened from a URL (without credentials). */
const labels = new WeakMap<StateBackend, string>();

/**
 * A backend for messages: the URL it was opened from (password and secret parameters replaced by
 * `***`, `sqlite:` paths absolute), else its class name.
 * @internal
 */
export function backendLabel(backend: StateBackend): string {
  return labels.get(backend) ?? backend.constructor?.name ?? 'a backend';
}

function open(u: BackendUrl, option: string): StateBackend {
  try {
    switch (u.kind) {
      case 'memory':
        return new MemoryBackend();
      case 'file':
        return new FileBackend({ dir: path.resolve(u.path!) });
      case 'sqlite':
        return SqlBackend.fromUrl(`sqlite:${path.resolve(u.path!)}`);
      case 'redis':
        return RedisBackend.fromUrl(u.url);
      default:
        return SqlBackend.fromUrl(u.url);
    }
  } catch (e) {
    // a driver's message could quote the URL: only the redacted form is shown (and no cause is kept)
    const message = withoutCredentials(e instanceof Error ? e.message : String(e), u);
    throw new BackendError(`${option} ${u.display}: ${message}`, BackendError.is(e) ? { cause: e } : undefined);
  }
}

/** `text` with the URL and its password (also percent-decoded) replaced by their redacted forms. */
function withoutCredentials(text: string, u: BackendUrl): string {
  let out = text.split(u.url).join(u.display);
  let password = '';
  try {
    password = new URL(u.url).password;
  } catch {
    /* no password to hide */
  }
  for (const p of new Set([password, safeDecode(password)])) if (p.length >= 3) out = out.split(p).join('***');
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
