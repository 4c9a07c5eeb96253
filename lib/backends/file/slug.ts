import { createHash } from 'node:crypto';

/** Longest readable part kept from a job name in its file name. */
const READABLE_MAX = 64;

/**
 * File-name-safe form of a job name: the readable part keeps letters, digits, `.`, `_` and `-`
 * (anything else becomes `_`, leading dots are dropped, so `..`, `/`, `\`, NUL cannot reach the
 * path), cut to 64 characters, followed by 12 hex digits of the name's SHA-256, which keeps
 * distinct names distinct on case-insensitive file systems and after truncation.
 * @internal
 */
export function slugOf(jobName: string): string {
  const readable = jobName
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, READABLE_MAX);
  const hash = createHash('sha256').update(jobName, 'utf8').digest('hex').slice(0, 12);
  return `${readable || 'job'}-${hash}`;
}
