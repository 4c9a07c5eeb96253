import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { LockHolder } from './lock';
import { holderIsDead } from './lock';
import { globalRegistry } from '../util/global-registry';

/**
 * The text a shared backend (Redis, SQL) stores for a held lock: the holder (pid, host, since, start
 * time) plus a random token, as JSON. The token tells this run's record from any other record of the
 * same process, so renewals and releases only ever touch the run's own lock, and a record this
 * process left behind (its release could not reach the server) can be recognised as stale.
 * @internal
 */
export class LockRecord {
  readonly token = randomUUID();
  readonly text: string;

  constructor(holder: LockHolder) {
    this.text = JSON.stringify({ token: this.token, pid: holder.pid, host: holder.host, since: holder.since, startTime: holder.startTime, thread: threadId });
  }

  /** The lock is held from now on (process-wide, across loaded copies of safe-state). */
  hold(): void {
    globalRegistry().liveLockTokens.add(this.token);
  }

  /** The lock is not held any more (released, or given up on). */
  drop(): void {
    globalRegistry().liveLockTokens.delete(this.token);
  }
}

interface Parsed {
  holder: LockHolder;
  token: string | null;
  thread: number | null;
}

function parse(text: unknown): Parsed | null {
  if (typeof text !== 'string') return null;
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.pid !== 'number' || typeof o.host !== 'string') return null;
    return {
      holder: {
        pid: o.pid,
        host: o.host,
        since: typeof o.since === 'number' ? o.since : 0,
        startTime: typeof o.startTime === 'number' ? o.startTime : null,
      },
      token: typeof o.token === 'string' ? o.token : null,
      thread: typeof o.thread === 'number' ? o.thread : null,
    };
  } catch {
    return null;
  }
}

/** The holder described by a lock record, or null when the text is not one. @internal */
export function parseLockRecord(text: unknown): LockHolder | null {
  return parse(text)?.holder ?? null;
}

/**
 * Whether the holder of a lock record is certainly gone: a process on this host that ended, or this
 * very thread of this process holding the lock no more (a record left by a run whose release failed).
 * @internal
 */
export function recordIsStale(text: unknown): boolean {
  const p = parse(text);
  if (!p) return false;
  if (holderIsDead(p.holder)) return true;
  // this thread's record (another worker thread has registries of its own), not held any more
  return p.holder.pid === process.pid && p.holder.host === os.hostname() && p.thread === threadId && p.token !== null && !globalRegistry().liveLockTokens.has(p.token);
}
