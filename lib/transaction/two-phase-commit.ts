import { setTimeout as delay } from 'node:timers/promises';
import { rollbackQuietly, type Branch } from './branch';
import type { DecisionLog } from './decision-log';
import { forgetRecovery, serverIdOf } from './recovery';
import { txTestPoint } from './test-points';
import { PartialCommitError } from '../errors/partial-commit-error';

/**
 * The two-phase commit of a transaction's branches (presumed abort):
 *
 * 1. Phase 1: every branch is prepared, in order (`XA END` + `XA PREPARE` / `PREPARE TRANSACTION`).
 *    A failure rolls every branch back (prepared ones included) and re-throws: nothing committed.
 * 2. The decision: the transaction id and its branch ids are recorded in the decision log, durably.
 *    A failure to record it rolls everything back as well. Once it is recorded, the transaction
 *    is committed, whatever happens next.
 * 3. Phase 2: every branch is committed (`XA COMMIT` / `COMMIT PREPARED`). A branch whose commit
 *    fails is retried through the adapter's recovery operations (on a fresh connection for pools);
 *    one that still cannot be reached stays prepared and is reported in
 *    {@link PartialCommitError.pending}: recovery commits it later, since the decision says so.
 * 4. Once every branch committed, the decision is forgotten.
 *
 * A crash before step 2 leaves prepared branches without a decision (recovery rolls them back);
 * a crash after it leaves a decision (recovery commits what is still prepared).
 * @internal
 */
export async function commitTwoPhase(branches: readonly Branch[], txId: string, log: DecisionLog): Promise<void> {
  for (const b of branches) {
    try {
      await b.tx.prepare!();
    } catch (error) {
      await rollbackQuietly(branches);
      throw error;
    }
  }
  await txTestPoint('P');
  try {
    await log.record({ txId, branches: branches.map((b) => b.xid!), servers: branches.map((b) => serverIdOf(b.part)), at: new Date().toISOString() });
  } catch (error) {
    await rollbackQuietly(branches);
    await log.forget(txId).catch(() => undefined);
    throw error;
  }
  await txTestPoint('R');
  const committed: string[] = [];
  const pending: Branch[] = [];
  let firstError: unknown;
  for (const b of branches) {
    let ok = false;
    try {
      await b.tx.commit();
      ok = true;
    } catch (error) {
      firstError ??= error;
      ok = await retryCommit(b);
    }
    if (ok) {
      committed.push(b.part.label);
      await log.markDone(txId, b.xid!);
    } else pending.push(b);
    await txTestPoint('C');
  }
  if (pending.length === 0) {
    await log.forget(txId).catch(() => undefined);
    return;
  }
  for (const b of pending) forgetRecovery(b.part, log);
  throw new PartialCommitError(committed, [], { cause: firstError, pending: pending.map((b) => b.part.label) });
}

/** A pause that keeps no process alive and that fake timers of test frameworks do not freeze. */
function sleep(ms: number): Promise<void> {
  return delay(ms, undefined, { ref: false });
}

/**
 * A phase-2 commit failed: ask the participant (a pool answers on another connection) whether the
 * branch is still prepared and commit it by id. Absent from the prepared list means committed: the
 * decision is commit, so no one rolls it back.
 */
async function retryCommit(b: Branch): Promise<boolean> {
  const tp = b.part.adapter.twoPhase!;
  for (let attempt = 0; attempt < 3; attempt++) {
    await sleep(50 << attempt);
    try {
      if (!(await tp.listPrepared(b.part.conn)).includes(b.xid!)) return true;
      if (await tp.commitPrepared(b.part.conn, b.xid!)) return true;
    } catch {
      /* unreachable right now: try again, then leave it to recovery */
    }
  }
  return false;
}
