import { AsyncLocalStorage } from 'node:async_hooks';
import type { Transaction } from './transaction';

const KEY = Symbol.for('safe-state.current-transaction.v1');
const g = globalThis as unknown as Record<symbol, AsyncLocalStorage<Transaction> | undefined>;

/**
 * The transaction whose `transaction()` callback is running (the innermost one), carried through
 * async calls. `@Idempotent` reads it to record a result inside the transaction that makes the
 * method's writes (exactly-once). A transaction made with `Transaction.begin()` is not carried:
 * it has no callback to scope.
 * @internal
 */
export const currentTransaction: AsyncLocalStorage<Transaction> = g[KEY] ?? (g[KEY] = new AsyncLocalStorage<Transaction>());
