import { Transaction, exclusiveObjects } from './transaction';
import type { TransactionOptions } from './options';
import { heldConnections } from './connection-gate';
import { currentTransaction } from './current-transaction';

/**
 * Runs `fn` inside a transaction over one or more connections: begins on every connection, runs
 * the callback, commits all in order; when the callback throws, rolls all back and re-throws its
 * error unchanged. Query through `tx.of(conn)`: for knex the `Knex.Transaction`, for a pool the
 * checked-out connection, otherwise the connection itself.
 *
 * Supported: mysql2 connections and pools (callback or promise API), knex instances (and knex
 * transactions: the participant becomes a savepoint), better-sqlite3 databases, pg clients and
 * pools, objects with `beginTransaction/commit/rollback`, and whatever
 * {@link registerTransactionAdapter} adds.
 *
 * Not atomic across databases by default: if a later commit fails after an earlier one succeeded,
 * a {@link PartialCommitError} lists what committed and what rolled back. With
 * `{ twoPhase: true }` all commit or none does, across crashes too (XA / PREPARE TRANSACTION and a
 * durable decision log; see docs/transactions.md).
 *
 * Inside a `@SafeState` job, an item whose transaction rolled back stays undone as long as the
 * error leaves the iteration; the next run processes it again.
 *
 * The callback may end the transaction itself (`tx.commit()` / `tx.rollback()`); it is then left
 * as it is.
 *
 * @param connections - a connection, pool or knex object, or a list of them (committed in this order)
 * @param fn - the work; receives the {@link Transaction}
 * @returns what `fn` returned
 * @example
 * ```ts
 * await transaction([mysqlPool, pgPool], async (tx) => {
 *   await tx.of(mysqlPool).query('UPDATE accounts SET balance = balance - ? WHERE id = ?', [10, 1]);
 *   await tx.of(pgPool).query('UPDATE ledger SET total = total + $1', [10]);
 * });
 * ```
 */
export function transaction<R>(connections: unknown, fn: (tx: Transaction) => R | Promise<R>): Promise<R>;
/**
 * The same with options before the callback (see the first form for what a transaction does).
 * @param connections - a connection, pool or knex object, or a list of them (committed in this order)
 * @param options - `twoPhase`, `decisionLog`, `recover`
 * @param fn - the work; receives the {@link Transaction}
 * @returns what `fn` returned
 * @example
 * ```ts
 * await transaction([mysqlPool, pgPool], { twoPhase: true }, async (tx) => {
 *   await tx.of(mysqlPool).query('INSERT INTO shipments (order_id) VALUES (?)', [id]);
 *   await tx.of(pgPool).query('UPDATE orders SET shipped = true WHERE id = $1', [id]);
 * });
 * ```
 */
export function transaction<R>(connections: unknown, options: TransactionOptions, fn: (tx: Transaction) => R | Promise<R>): Promise<R>;
/**
 * The same with options after the callback (see the first form for what a transaction does).
 * @param connections - a connection, pool or knex object, or a list of them (committed in this order)
 * @param fn - the work; receives the {@link Transaction}
 * @param options - `twoPhase`, `decisionLog`, `recover`
 * @returns what `fn` returned
 * @example
 * ```ts
 * const id = await transaction(db, (tx) => tx.of(db).prepare('INSERT INTO t (v) VALUES (?)').run('x').lastInsertRowid, {});
 * ```
 */
export function transaction<R>(connections: unknown, fn: (tx: Transaction) => R | Promise<R>, options: TransactionOptions): Promise<R>;
export async function transaction<R>(connections: unknown, a: unknown, b?: unknown): Promise<R> {
  const fn = (typeof a === 'function' ? a : b) as (tx: Transaction) => R | Promise<R>;
  const options = (typeof a === 'function' ? b : a) as TransactionOptions | undefined;
  if (typeof fn !== 'function') throw new TypeError('transaction(connections, fn): fn must be a function');
  const tx = await Transaction.begin(connections, options);
  const held = new Set(heldConnections.getStore() ?? []);
  for (const k of exclusiveObjects(tx)) held.add(k);
  let result: R;
  try {
    result = await heldConnections.run(held, () => currentTransaction.run(tx, () => fn(tx)));
  } catch (error) {
    if (tx.state === 'active') {
      try {
        await tx.rollback();
      } catch {
        /* the callback's error is the one that matters; the failed rollback left nothing committed */
      }
    }
    throw error;
  }
  if (tx.state === 'active') await tx.commit();
  return result;
}
