import type { BackendLock, LockHolder } from '../lock';
import { LockRecord, parseLockRecord } from '../lock-record';
import type { SqlSession } from './sql-driver';
import type { Dialect, SqlStatements } from './dialects/dialect';
import { lockId } from './job-ids';
import { JobLockedError } from '../../errors/job-locked-error';

/** What a session lock needs from its backend. @internal */
export interface SessionLockContext {
  dialect: Dialect;
  stmts: SqlStatements;
  /** key of the server lock */
  key: string;
  /** runs a query on the session within the backend's deadline */
  run(session: SqlSession, sql: string, params: unknown[]): Promise<unknown[][]>;
  /** the run's writes go through the session while it is held */
  attach(session: SqlSession): void;
  detach(session: SqlSession): void;
}

/**
 * MySQL / PostgreSQL locks: a server lock (GET_LOCK, pg_try_advisory_lock) taken without waiting
 * on a connection the run holds to its end; the server frees it when that connection ends, so a
 * holder that died is taken over as soon as the server notices (at once for a killed process on a
 * live host). A lock row beside the checkpoints records the holder, for {@link JobLockedError}.
 * @internal
 */
export async function takeSessionLock(session: SqlSession, ctx: SessionLockContext, jobName: string, holder: LockHolder): Promise<BackendLock> {
  const id = lockId(jobName);
  const record = new LockRecord(holder).text;
  let broken = false;
  try {
    const got = (await ctx.run(session, ctx.dialect.tryLock!, [ctx.key]))[0]?.[0];
    if (!(got === true || Number(got) === 1)) {
      let other = null;
      try {
        other = parseLockRecord((await ctx.run(session, ctx.stmts.lockHolder, [id]))[0]?.[0]);
      } catch {
        /* name no holder */
      }
      throw new JobLockedError(jobName, other);
    }
    await ctx.run(session, ctx.stmts.lockRow, [id, jobName, record, null, Date.now()]);
  } catch (e) {
    broken = !JobLockedError.is(e);
    await session.release(broken).catch(() => undefined);
    throw e;
  }
  ctx.attach(session);
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      ctx.detach(session);
      let failed = false;
      try {
        await ctx.run(session, ctx.stmts.unlockRow, [id, record]);
        await ctx.run(session, ctx.dialect.unlock!, [ctx.key]);
      } catch {
        failed = true; // a broken connection: the server frees its locks when it ends
      }
      await session.release(failed).catch(() => undefined);
    },
  };
}
