import { globalRegistry } from '../util/global-registry';
import type { TransactionHook } from './hooks';

/**
 * Process-wide transaction bookkeeping, kept on the global registry so that two loaded copies of
 * safe-state agree on it (a connection used by both is still serialized; one copy's recovery never
 * touches the other's in-flight transaction).
 * @internal
 */
export interface TransactionState {
  /** tail of the FIFO queue of each exclusive connection */
  gates: WeakMap<object, { tail: Promise<void>; id: number }>;
  /** next gate id (gates are always taken in id order, so two transactions cannot deadlock) */
  nextGateId: number;
  /** ids of the two-phase transactions this process is running now */
  inFlight: Set<string>;
  /** per connection: the decision-log ids whose leftovers were already recovered on it */
  recovered: WeakMap<object, Set<string>>;
  /** per connection: the cached answer of its two-phase check (null = can take part) */
  twoPhaseChecks: WeakMap<object, Promise<string | null>>;
  /** hooks run around commits (see hooks.ts) */
  hooks: TransactionHook[];
}

/** @internal */
export function transactionState(): TransactionState {
  const r = globalRegistry();
  if (!r.transactionState) {
    const s: TransactionState = { gates: new WeakMap(), nextGateId: 1, inFlight: new Set(), recovered: new WeakMap(), twoPhaseChecks: new WeakMap(), hooks: [] };
    r.transactionState = s;
  }
  return r.transactionState as TransactionState;
}
