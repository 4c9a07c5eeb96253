/**
 * The default state directory: the `SAFE_STATE_DIR` environment variable when set (not empty),
 * else `.safe_state`. A relative value is resolved against the working directory when the backend
 * is made (at job start); an absolute one lets cron and systemd runs, whose working directory
 * differs, find their checkpoints.
 * @internal
 */
export function defaultStateDir(): string {
  const v = process.env.SAFE_STATE_DIR;
  return v !== undefined && v !== '' && !v.includes('\0') ? v : '.safe_state';
}
