import { createHash } from 'node:crypto';

/**
 * Row ids of a job in the checkpoint table: `job:<h>` for its checkpoint, `lock:<h>` for its lock
 * record, where `<h>` is the SHA-256 (hex) of the job name's UTF-16 code units. Hashing keeps ids
 * short, ASCII and exact whatever the name (any length, any character, names differing only in
 * case or trailing spaces, which some collations would merge); the name itself is stored beside it.
 * @internal
 */
export function jobHash(jobName: string): string {
  return createHash('sha256').update(Buffer.from(jobName, 'utf16le')).digest('hex');
}

/** @internal */
export function checkpointId(jobName: string): string {
  return 'job:' + jobHash(jobName);
}

/** @internal */
export function lockId(jobName: string): string {
  return 'lock:' + jobHash(jobName);
}

/** Prefix of checkpoint ids (listing). @internal */
export const CHECKPOINT_ID_PREFIX = 'job:';

/**
 * The id pattern (`LIKE`) of the transactional records of an entry: `rec:<h>:%`, with `<h>` the
 * first 56 hex digits of its hash, so that ids (`rec:<h>:<16 random hex>`) fit the 80-character column.
 * @internal
 */
export function recordPattern(name: string): string {
  return 'rec:' + jobHash(name).slice(0, 56) + ':%';
}
