import type { Transaction } from '../transaction/transaction';
import { addTransactionHook } from '../transaction/hooks';
import { recordsOf, type StoredRecord, type TransactionalRecords } from '../backends/transactional-records';
import type { StateBackend } from '../backends/state-backend';
import type { CheckpointDoc } from '../state/checkpoint-doc';
import type { ItemKey } from '../progress/key-progress';
import type { JobRun } from './job-run';
import { itemContext, jobContext } from './job-context';
import { globalRegistry } from '../util/global-registry';
import { asBackendError } from './backend-call';
import { phaseHook } from '../util/test-phase';

/** A transaction that will mark an item done when it commits. */
interface Pending {
  run: JobRun;
  records: TransactionalRecords;
  participant: unknown;
  index: number;
  key: ItemKey | undefined;
}

const pending = new WeakMap<Transaction, Pending>();

/**
 * Exactly-once items: when a transaction begins inside a job item and one of its participants
 * shares the job's backend connection (a `SqlBackend` over the same connection, pool or knex
 * object), the item's completion is written through that participant inside the transaction
 * (one record row per item, `beforeCommit`), so the item's writes and its "done" commit together.
 * After the commit the item is marked done in memory too; the record is folded into the
 * checkpoint by the next run's load ({@link foldCommittedItems}) and then deleted.
 */
const hook = {
  afterBegin(tx: Transaction): void {
    if (!tx.completesItem) return;
    const run = jobContext.getStore();
    if (!run || run.manual) return;
    const records = recordsOf(run.backend);
    if (!records) return;
    const participant = records.sharedParticipant(tx.participants);
    if (participant === undefined) return;
    const scope = itemContext.getStore();
    if (scope && scope.run === run) pending.set(tx, { run, records, participant, index: scope.index, key: scope.key });
    else if (run.inFlight >= 0) pending.set(tx, { run, records, participant, index: run.inFlight, key: run.inFlightItemKey });
  },
  async beforeCommit(tx: Transaction): Promise<void> {
    const p = pending.get(tx);
    if (!p) return;
    const ref = JSON.stringify(p.run.keyFn ? p.key : p.index);
    try {
      await p.records.addRecord(p.participant, tx.of(p.participant), p.run.name, ref);
    } catch (e) {
      throw asBackendError(e, `cannot record item ${ref} of job '${p.run.name}' inside its transaction`);
    }
  },
  afterCommit(tx: Transaction): void {
    const p = pending.get(tx);
    if (!p) return;
    pending.delete(tx);
    p.run.markCommitted(p.index, p.key);
    phaseHook?.('K');
  },
  afterRollback(tx: Transaction): void {
    pending.delete(tx);
  },
};

/** Installs the hook once per process (shared by every loaded copy of safe-state). @internal */
export function installCommittedItems(): void {
  const r = globalRegistry();
  if (r.committedItemsHook) return;
  r.committedItemsHook = true;
  addTransactionHook(hook);
}

/**
 * Folds the items that committed inside transactions (records of a backend with
 * {@link TransactionalRecords}) into a loaded checkpoint; answers the records read (deleted once a
 * whole save holds them), or an empty list for other backends. With `settle` (a run that starts),
 * it first waits for commits a killed run may have left in flight on the server.
 * @internal
 */
export async function foldCommittedItems(backend: StateBackend, jobName: string, doc: CheckpointDoc | null, settle = false): Promise<StoredRecord[]> {
  const records = recordsOf(backend);
  if (!records) return [];
  let rows: StoredRecord[];
  try {
    rows = await records.readRecords(jobName, settle);
  } catch (e) {
    throw asBackendError(e, `cannot read the committed items of job '${jobName}'`);
  }
  if (doc && !doc.complete) {
    for (const r of rows) {
      let ref: unknown;
      try {
        ref = JSON.parse(r.record);
      } catch {
        continue; // not ours to judge: a record that is no item reference marks nothing
      }
      if (doc.keys) {
        if (typeof ref === 'string' || (typeof ref === 'number' && Number.isFinite(ref))) doc.keys.markDone(ref);
      } else if (typeof ref === 'number' && Number.isSafeInteger(ref) && ref >= 0) doc.progress.markDone(ref);
    }
  }
  return rows;
}
