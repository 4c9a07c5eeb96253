import type { BackendLock, LockHolder } from '../lock';
import { LockRecord, parseLockRecord, recordIsStale } from '../lock-record';
import type { RedisClientLike } from './redis-client';
import { ACQUIRE, SWAP } from './redis-script';
import type { JobKeys } from './redis-keys';
import type { RedisFence } from './redis-write';
import { JobLockedError } from '../../errors/job-locked-error';

/**
 * A lock this backend holds: its fence (record, generation, generation last written), and the
 * timer that renews its lease. @internal
 */
export interface HeldRedisLock extends RedisFence {
  /** when the last renewal that succeeded was sent (ms since the epoch) */
  renewedAt: number;
  timer: ReturnType<typeof setInterval>;
  /** forgets the lock (process-wide) without telling Redis */
  drop(): void;
}

/**
 * Takes a job's lock: `SET PX` of a lock record (holder + token) when there is none, incrementing
 * the job's fence counter in the same script: the run's generation, which fences its writes (see
 * the WRITE script). When another record is there,
 * its holder is taken over at once if it is a process on this host that is gone, or a run of this
 * process whose release could not reach Redis (compare-and-set, so two contenders cannot both win), else {@link JobLockedError} names it; a holder that died
 * elsewhere is taken over when its lease runs out (the key expires). While held, a timer renews the
 * lease every third of it (saves renew it too, see the write script), and `release` deletes the
 * record only if it is still this run's.
 * @internal
 */
export async function takeRedisLock(
  client: RedisClientLike,
  keys: JobKeys,
  jobName: string,
  holder: LockHolder,
  leaseMs: number,
  held: Map<string, HeldRedisLock>,
): Promise<BackendLock> {
  const lr = new LockRecord(holder);
  const record = lr.text;
  const key = keys.lock;
  let gen = '';
  let sentAt = 0;
  let replace = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    sentAt = Date.now();
    const r = (await ACQUIRE.run(client, [key, keys.fence], [record, leaseMs, replace])) as [number, unknown];
    if (Number(r[0]) === 1) {
      gen = String(r[1]);
      break;
    }
    const current = r[1];
    if (!recordIsStale(current)) throw new JobLockedError(jobName, parseLockRecord(current));
    replace = String(current); // its holder is gone: replace exactly that record
  }
  if (gen === '') throw new JobLockedError(jobName, null);
  const entry: HeldRedisLock = { record, gen, lastWritten: '', renewedAt: sentAt, timer: undefined as unknown as ReturnType<typeof setInterval>, drop: () => lr.drop() };
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
