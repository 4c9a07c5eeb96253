import type { StateBackend } from '../backends/state-backend';
import { FileBackend } from '../backends/file/file-backend';
import { globalRegistry } from '../util/global-registry';
import { configuredDefaults } from './configure';
import { openBackendUrl, parseBackendUrl } from './backend-url';

/** The environment variable naming the default backend by URL. @internal */
export const URL_ENV = 'SAFE_STATE_URL';

/**
 * The backend of a URL, opened on first use and kept for the life of the process (one per URL,
 * shared by every loaded copy of safe-state). Backends opened from URLs do not keep the process
 * alive while idle, so they are never closed here.
 */
function urlBackend(url: string, option: string): StateBackend {
  const cache = (globalRegistry().urlBackends ??= new Map<string, unknown>()) as Map<string, StateBackend>;
  let backend = cache.get(url);
  if (!backend) {
    backend = openBackendUrl(parseBackendUrl(url, option), option);
    cache.set(url, backend);
  }
  return backend;
}

/** `SAFE_STATE_URL` when set (not empty). @internal */
export function environmentUrl(): string | undefined {
  const v = process.env[URL_ENV];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * The default backend chosen by `configure()` or `SAFE_STATE_URL`, for whatever names no backend
 * of its own: `configure({ backend })`; else, unless `configure({ stateDir })` chose a directory,
 * the backend of `SAFE_STATE_URL`; else null (the default FileBackend in `defaultStateDir()`).
 * Read once per job call (or default cache), never per item.
 * @throws InvalidOptionsError (option `backend` or `SAFE_STATE_URL`) for a URL that is not one;
 *   BackendError when its driver is missing
 * @internal
 */
export function configuredBackend(): StateBackend | null {
  const c = configuredDefaults();
  if (c?.backend !== undefined) return typeof c.backend === 'string' ? urlBackend(c.backend, 'backend') : c.backend;
  if (c?.stateDir !== undefined) return null;
  const url = environmentUrl();
  return url === undefined ? null : urlBackend(url, URL_ENV);
}

/**
 * The backend of a job that names neither `backend` nor `stateDir`, and whether the engine made
 * it (and so closes it after the call). Precedence: configure() > environment > `.safe_state`.
 * @internal
 */
export function defaultBackend(): { backend: StateBackend; owned: boolean } {
  const b = configuredBackend();
  return b ? { backend: b, owned: false } : { backend: new FileBackend() /* configure stateDir, SAFE_STATE_DIR, .safe_state */, owned: true };
}

/**
 * Closes the backends opened from URLs and forgets them (the next use opens them again). For
 * tests and shutdown hooks: they do not keep a process alive while idle, but a Redis client keeps
 * retrying while its server is away.
 * @internal
 */
export async function closeUrlBackends(): Promise<void> {
  const cache = globalRegistry().urlBackends as Map<string, StateBackend> | undefined;
  if (!cache) return;
  const all = [...cache.values()];
  cache.clear();
  await Promise.all(all.map((b) => b.close().catch(() => undefined)));
}
