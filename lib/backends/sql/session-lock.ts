import type { BackendLock, LockHolder } from '../lock';
import { LockRecord, parseLockRecord } from '../lock-record';
import type { SessionRef } from './shared-session';
import type { Dialect, SqlStatements } from './dialects/dialect';
import { lockId } from './job-ids';
import { JobLockedError } from '../../errors/job-locked-error';
import type { SqlFence } from './sql-fence';

/** What a session lock needs from its backend. @internal */
export interface SessionLockContext {
  dialect: Dialect;
  stmts: SqlStatements;
  /** key of the server lock */
  key: string;
  /** runs a query on the session within the backend's deadline */
  run(ref: SessionRef, sql: string, params: unknown[]): Promise<unknown[][]>;
}

/**
 * MySQL / PostgreSQL locks: a server lock (GET_LOCK, pg_try_advisory_lock) taken without waiting
 * on the connection the backend holds while it has locks (see shared-session.ts), released at the
 * run's end; the server frees it when that connection ends, so a
 * holder that died is taken over as soon as the server notices (at once for a killed process on a
 * live host). A lock row beside the checkpoints records the holder, for {@link JobLockedError}, and
 * fences the run's writes (see sql-fence.ts): the server lock dies with its connection, the fence
 * does not.
 * @internal
 */
export async function takeSessionLock(ref: SessionRef, ctx: SessionLockContext, jobName: string, holder: LockHolder): Promise<BackendLock & { fence: SqlFence }> {
  const id = lockId(jobName);
  const record = new LockRecord(holder).text;
  let broken = false;
  try {
    const got = (await ctx.run(ref, ctx.dialect.tryLock!, [ctx.key]))[0]?.[0];
    if (!(got === true || Number(got) === 1)) {
      let other = null;
      try {
        other = parseLockRecord((await ctx.run(ref, ctx.stmts.lockHolder, [id]))[0]?.[0]);
      } catch {
        /* name no holder */
      }
      throw new JobLockedError(jobName, other);
    }
    await ctx.run(ref, ctx.stmts.lockRow, [id, jobName, record, null, Date.now()]);
  } catch (e) {
    broken = !JobLockedError.is(e);
    await ref.release(broken);
    throw e;
  }
  let released = false;
  return {
    fence: { id, record },
    release: async () => {
      if (released) return;
      released = true;
      let failed = false;
      try {
        await ctx.run(ref, ctx.stmts.unlockRow, [id, record]);
        await ctx.run(ref, ctx.dialect.unlock!, [ctx.key]);
      } catch {
        failed = true; // a broken connection: the server frees its locks when it ends
      }
      await ref.release(failed);
    },
  };
}
