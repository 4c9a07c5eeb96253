import type { Transaction } from './transaction';
import { transactionState } from './shared-state';

/**
 * Code that takes part in every transaction's life: the seam through which the engine makes an
 * item's completion commit together with the item's writes (exactly-once with a `SqlBackend` that
 * shares a connection with a participant). A hook reads what it needs from the transaction
 * (`tx.participants`, `tx.has(conn)`, `tx.of(conn)`) and, if it wants, from the job context
 * (AsyncLocalStorage), which at `afterBegin` and `beforeCommit` is the caller's.
 *
 * - `afterBegin` runs once every participant has begun, before the callback (in the caller's
 *   async context: the place to note which job item the transaction belongs to). Throwing rolls
 *   the transaction back and `begin()` throws.
 * - `beforeCommit` runs inside the transaction, before the first COMMIT (before PREPARE with
 *   `twoPhase`): it may write through `tx.of(participant)`. Throwing rolls the whole transaction
 *   back and the error is what `commit()` throws.
 * - `afterCommit` runs once every participant committed; `afterRollback` once the transaction is
 *   rolled back (also after a failed commit). These two must not throw (errors are ignored).
 *   A partially committed transaction (PartialCommitError) runs neither: its error leaves the
 *   iteration like any other failure.
 * @internal
 */
export interface TransactionHook {
  afterBegin?(tx: Transaction): void;
  beforeCommit?(tx: Transaction): void | Promise<void>;
  afterCommit?(tx: Transaction): void;
  afterRollback?(tx: Transaction): void;
}

/** Adds a hook for every transaction of the process; returns its removal. @internal */
export function addTransactionHook(hook: TransactionHook): () => void {
  const hooks = transactionState().hooks;
  hooks.push(hook);
  return () => {
    const i = hooks.indexOf(hook);
    if (i >= 0) hooks.splice(i, 1);
  };
}

/** @internal */
export function runAfterBegin(tx: Transaction): void {
  for (const h of transactionState().hooks) h.afterBegin?.(tx);
}

/** @internal */
export async function runBeforeCommit(tx: Transaction): Promise<void> {
  for (const h of transactionState().hooks.slice()) if (h.beforeCommit) await h.beforeCommit(tx);
}

/** How a transaction ended: committed, rolled back, or partially committed (PartialCommitError). @internal */
export type TransactionOutcome = 'commit' | 'rollback' | 'partial';

const endCallbacks = new WeakMap<Transaction, ((outcome: TransactionOutcome) => void)[]>();

/**
 * Calls `fn` once when `tx` ends, whatever the outcome (it must not throw; errors are ignored).
 * Used by code that wrote through the transaction and keeps a view of what it wrote.
 * @internal
 */
export function onTransactionEnd(tx: Transaction, fn: (outcome: TransactionOutcome) => void): void {
  let list = endCallbacks.get(tx);
  if (!list) endCallbacks.set(tx, (list = []));
  list.push(fn);
}

/** @internal */
export function runAfter(tx: Transaction, outcome: TransactionOutcome): void {
  if (outcome !== 'partial') {
    for (const h of transactionState().hooks.slice()) {
      try {
        if (outcome === 'commit') h.afterCommit?.(tx);
        else h.afterRollback?.(tx);
      } catch {
        /* an after-hook cannot change the outcome */
      }
    }
  }
  const list = endCallbacks.get(tx);
  if (!list) return;
  endCallbacks.delete(tx);
  for (const fn of list) {
    try {
      fn(outcome);
    } catch {
      /* the outcome stands */
    }
  }
}
