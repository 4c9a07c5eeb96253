import { globalRegistry } from './global-registry';

/** The built-in default state directory, relative to the working directory. @internal */
export const DEFAULT_STATE_DIR = '.safe_state';

/** The environment variable naming the default state directory. @internal */
export const STATE_DIR_ENV = 'SAFE_STATE_DIR';

/**
 * The default state directory: `configure({ stateDir })` when set, else the `SAFE_STATE_DIR`
 * environment variable when set (not empty), else `.safe_state`. A relative value is resolved
 * against the working directory when the backend is made (at job start); an absolute one lets cron
 * and systemd runs, whose working directory differs, find their checkpoints.
 * @internal
 */
export function defaultStateDir(): string {
  const configured = globalRegistry().configured?.stateDir;
  if (typeof configured === 'string') return configured; // validated by configure()
  const v = process.env[STATE_DIR_ENV];
  return v !== undefined && v !== '' && !v.includes('\0') ? v : DEFAULT_STATE_DIR;
}
