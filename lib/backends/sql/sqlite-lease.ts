import * as os from 'node:os';
import type { BackendLock, LockHolder } from '../lock';
import { LockRecord, parseLockRecord, recordIsStale } from '../lock-record';
import type { Rows } from './sql-driver';
import type { SqlStatements } from './dialects/dialect';
import { lockId } from './job-ids';
import { JobLockedError } from '../../errors/job-locked-error';

/** A lease this backend holds. @internal */
export interface HeldLease {
  /** the lock row's id */
  id: string;
  /** the lock record (holder + token) in the row */
  record: string;
  /** when the lease runs out unless renewed (ms since the epoch) */
  expiresAt: number;
  timer: ReturnType<typeof setInterval>;
  /** forgets the lock (process-wide) without telling the database */
  drop(): void;
}

type Query = (sql: string, params: unknown[]) => Promise<Rows>;

/**
 * SQLite locks: a lock row (`lock:<hash>`) holding the holder's record and a lease expiry. Taking
 * it is one upsert that inserts the row when there is none, or replaces the row of a holder known
 * to be gone (compare-and-set on its record), then a read to see who won. A holder on this host is
 * judged by its process (gone: taken over at once; alive: never, however old its lease, like
 * FileBackend); a holder on another host when its lease ran out. The lease is renewed by a timer every third of it, and by saves once
 * a third has passed (in the save's transaction, so a body that blocks the event loop keeps it);
 * saves only write while the row is still the run's (see `fencedUpsert`).
 * @internal
 */
export class SqliteLeases {
  readonly held = new Map<string, HeldLease>();

  constructor(
    private readonly leaseMs: number,
    private readonly stmts: SqlStatements,
  ) {}

  /** The lease of a job when a save should renew it (a third of it has passed), else null. */
  renewalDue(jobName: string, now: number): HeldLease | null {
    const h = this.held.get(jobName);
    return h && now >= h.expiresAt - (2 * this.leaseMs) / 3 ? h : null;
  }

  /** Params of the renewal statement (and the new expiry, to record once it succeeded). */
  renewal(lease: HeldLease, now: number): { params: unknown[]; expiresAt: number } {
    const expiresAt = now + this.leaseMs;
    return { params: [expiresAt, lease.id, lease.record], expiresAt };
  }

  /** Takes the lock of a job. */
  async take(query: Query, querySync: ((sql: string, params: unknown[]) => Rows) | undefined, jobName: string, holder: LockHolder): Promise<BackendLock> {
    const id = lockId(jobName);
    const lr = new LockRecord(holder);
    const record = lr.text;
    let candidate = '';
    let limit = 0;
    let taken = false;
    let expiresAt = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      expiresAt = now + this.leaseMs;
      await query(this.stmts.leaseTake!, [id, jobName, record, expiresAt, now, candidate, limit]);
      const row = (await query(this.stmts.lockHolder, [id]))[0];
      if (!row) continue; // released meanwhile
      if (row[0] === record) {
        taken = true;
        break;
      }
      const other = parseLockRecord(row[0]);
      const expired = Number(row[1]) < now;
      if (row[0] === candidate) throw new JobLockedError(jobName, other); // the takeover lost a race
      if (recordIsStale(row[0])) {
        candidate = String(row[0]); // gone from this host: take over at once
        limit = Number.MAX_SAFE_INTEGER;
      } else if (expired && (!other || other.host !== os.hostname())) {
        candidate = String(row[0]); // elsewhere, and its lease ran out
        limit = now;
      } else {
        throw new JobLockedError(jobName, other);
      }
    }
    if (!taken) throw new JobLockedError(jobName, null);
    const lease: HeldLease = {
      id,
      record,
      expiresAt,
      drop: () => lr.drop(),
      timer: setInterval(() => {
        const now = Date.now();
        const r = this.renewal(lease, now);
        query(this.stmts.leaseRenew!, r.params).then(
          (rows) => {
            if (rows.length > 0) lease.expiresAt = r.expiresAt;
            else clearInterval(lease.timer); // taken over: the next save reports it
          },
          () => undefined, // the next save reports a failing database
        );
      }, Math.max(250, Math.floor(this.leaseMs / 3))),
    };
    lease.timer.unref?.();
    lr.hold();
    this.held.set(jobName, lease);
    let released = false;
    const forget = (): boolean => {
      if (released) return false;
      released = true;
      clearInterval(lease.timer);
      lr.drop();
      if (this.held.get(jobName) === lease) this.held.delete(jobName);
      return true;
    };
    return {
      release: async () => {
        if (!forget()) return;
        try {
          await query(this.stmts.unlockRow, [id, record]);
        } catch {
          /* the lease runs out by itself */
        }
      },
      releaseSync: () => {
        if (!forget()) return;
        try {
          if (querySync) querySync(this.stmts.unlockRow, [id, record]);
          else query(this.stmts.unlockRow, [id, record]).catch(() => undefined);
        } catch {
          /* the lease runs out by itself */
        }
      },
    };
  }
}
