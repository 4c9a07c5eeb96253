import { randomUUID } from 'node:crypto';
import type { LockHolder } from './lock';

/**
 * The text a shared backend stores for a held lock: the holder (pid, host, since, start time) plus
 * a random token, as JSON. The token tells this run's record from an older record of the same
 * process, so renewals and releases only ever touch the run's own lock.
 * @internal
 */
export function lockRecord(holder: LockHolder): string {
  return JSON.stringify({ token: randomUUID(), pid: holder.pid, host: holder.host, since: holder.since, startTime: holder.startTime });
}

/** The holder described by a lock record, or null when the text is not one. @internal */
export function parseLockRecord(text: unknown): LockHolder | null {
  if (typeof text !== 'string') return null;
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.pid !== 'number' || typeof o.host !== 'string') return null;
    return {
      pid: o.pid,
      host: o.host,
      since: typeof o.since === 'number' ? o.since : 0,
      startTime: typeof o.startTime === 'number' ? o.startTime : null,
    };
  } catch {
    return null;
  }
}
