import type { BackendLock, LockHolder } from '../lock';
import { LockRecord, parseLockRecord, recordIsStale } from '../lock-record';
import type { RedisClientLike } from './redis-client';
import { SWAP } from './redis-script';
import { JobLockedError } from '../../errors/job-locked-error';

/** A lock this backend holds: its record, and the timer that renews its lease. @internal */
export interface HeldRedisLock {
  record: string;
  /** when the last renewal that succeeded was sent (ms since the epoch) */
  renewedAt: number;
  timer: ReturnType<typeof setInterval>;
  /** forgets the lock (process-wide) without telling Redis */
  drop(): void;
}

/**
 * Takes a job's lock: `SET NX PX` of a lock record (holder + token). When another record is there,
 * its holder is taken over at once if it is a process on this host that is gone, or a run of this
 * process whose release could not reach Redis (compare-and-set, so two contenders cannot both win), else {@link JobLockedError} names it; a holder that died
 * elsewhere is taken over when its lease runs out (the key expires). While held, a timer renews the
 * lease every third of it (saves renew it too, see the write script), and `release` deletes the
 * record only if it is still this run's.
 * @internal
 */
export async function takeRedisLock(
  client: RedisClientLike,
  key: string,
  jobName: string,
  holder: LockHolder,
  leaseMs: number,
  held: Map<string, HeldRedisLock>,
): Promise<BackendLock> {
  const lr = new LockRecord(holder);
  const record = lr.text;
  let taken = false;
  let sentAt = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    sentAt = Date.now();
    if ((await client.call('SET', [key, record, 'PX', leaseMs, 'NX'])) === 'OK') {
      taken = true;
      break;
    }
    const current = await client.call('GET', [key]);
    if (current == null) continue; // expired or released meanwhile: try again
    const other = parseLockRecord(current);
    if (!recordIsStale(current)) throw new JobLockedError(jobName, other);
    sentAt = Date.now();
    if ((await SWAP.run(client, [key], [String(current), record, leaseMs])) === 1) {
      taken = true;
      break;
    }
  }
  if (!taken) throw new JobLockedError(jobName, null);
  const entry: HeldRedisLock = { record, renewedAt: sentAt, timer: undefined as unknown as ReturnType<typeof setInterval>, drop: () => lr.drop() };
  entry.timer = setInterval(() => {
    const at = Date.now();
    SWAP.run(client, [key], [record, record, leaseMs]).then(
      (r) => {
        if (r === 1) entry.renewedAt = Math.max(entry.renewedAt, at);
        else clearInterval(entry.timer); // taken over: the next save reports it
      },
      () => undefined, // unreachable for now: the next save reports it
    );
  }, Math.max(250, Math.floor(leaseMs / 3)));
  entry.timer.unref?.();
  lr.hold();
  held.set(jobName, entry);
  let released = false;
  const forget = (): boolean => {
    if (released) return false;
    released = true;
    clearInterval(entry.timer);
    lr.drop();
    if (held.get(jobName) === entry) held.delete(jobName);
    return true;
  };
  return {
    release: async () => {
      if (!forget()) return;
      try {
        await SWAP.run(client, [key], [record, '', leaseMs]);
      } catch {
        /* unreachable: the lease runs out by itself */
      }
    },
    releaseSync: () => {
      if (!forget()) return;
      SWAP.run(client, [key], [record, '', leaseMs]).catch(() => undefined); // best effort, the process ends
    },
  };
}
