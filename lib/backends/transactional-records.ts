import type { StateBackend } from './state-backend';

/** One record written inside a transaction, with the id that deletes it. @internal */
export interface StoredRecord {
  readonly id: string;
  readonly record: string;
}

/**
 * What a backend offers when it can write records inside a user's transaction (SqlBackend): the
 * seam of exactly-once. A record belongs to an entry (a job's progress, an idempotency store) and
 * is written through the transaction's own handle, so it commits or rolls back with the item's
 * writes; readers fold the committed records of an entry into it and then delete them.
 *
 * Records are insert-only, one row each, so concurrent items never contend on one row.
 * @internal
 */
export interface TransactionalRecords {
  /**
   * The participant (as passed to `transaction()`) that reaches this backend's database through the
   * same connection, pool or knex object, or `undefined` when none does.
   */
  sharedParticipant(participants: readonly unknown[]): unknown;
  /** Adds `record` to entry `name` through `handle`, the participant's `tx.of(participant)`. */
  addRecord(participant: unknown, handle: unknown, name: string, record: string): Promise<void>;
  /**
   * The committed records of entry `name`, oldest first. With `settle`, first waits for
   * transactions that may still be committing records of the entry: a killed process's COMMIT
   * that the server is still finishing after the process's lock was freed (a reader about to act
   * on the records, such as a run that starts, must see it).
   */
  readRecords(name: string, settle?: boolean): Promise<StoredRecord[]>;
  /** Deletes records by id (those folded into their entry's whole save). */
  deleteRecords(ids: readonly string[]): Promise<void>;
}

/** The backend's transactional records, or null when it has none. @internal */
export function recordsOf(backend: StateBackend): TransactionalRecords | null {
  const b = backend as Partial<TransactionalRecords>;
  return typeof b.sharedParticipant === 'function' && typeof b.addRecord === 'function' && typeof b.readRecords === 'function' && typeof b.deleteRecords === 'function'
    ? (b as TransactionalRecords)
    : null;
}
