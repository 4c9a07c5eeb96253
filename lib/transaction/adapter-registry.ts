import type { TransactionAdapter } from './adapter';
import { globalRegistry } from '../util/global-registry';
import { mysql2Adapter } from './adapters/mysql2';
import { knexAdapter } from './adapters/knex';
import { betterSqlite3Adapter } from './adapters/better-sqlite3';
import { pgAdapter } from './adapters/pg';
import { duckAdapter } from './adapters/duck';

/** The built-in adapters, tried after the registered ones, in this order. */
const BUILT_INS: readonly TransactionAdapter[] = [mysql2Adapter, knexAdapter, betterSqlite3Adapter, pgAdapter, duckAdapter];

function registered(): TransactionAdapter[] {
  return globalRegistry().transactionAdapters as TransactionAdapter[];
}

function validate(adapter: TransactionAdapter): void {
  if (typeof adapter !== 'object' || adapter === null) throw new TypeError('registerTransactionAdapter: expected an adapter object');
  if (typeof adapter.name !== 'string' || !adapter.name) throw new TypeError('registerTransactionAdapter: the adapter needs a non-empty string `name`');
  for (const m of ['matches', 'begin'] as const) {
    if (typeof adapter[m] !== 'function') throw new TypeError(`registerTransactionAdapter: adapter '${adapter.name}' needs a \`${m}\` function`);
  }
  const tp = adapter.twoPhase;
  if (tp !== undefined) {
    for (const m of ['check', 'listPrepared', 'commitPrepared', 'rollbackPrepared'] as const) {
      if (typeof tp[m] !== 'function') throw new TypeError(`registerTransactionAdapter: adapter '${adapter.name}' has \`twoPhase\` without a \`${m}\` function`);
    }
  }
}

/**
 * Teaches {@link transaction} (and {@link Transaction.begin}, {@link recoverTransactions}) a kind of
 * connection. Registered adapters are tried before the built-in ones, in registration order; the
 * first whose `matches` accepts a participant handles it. The registry is process-wide and shared
 * by every loaded copy of safe-state.
 *
 * @param adapter - the adapter
 * @returns a function that removes the adapter again
 * @example
 * ```ts
 * const unregister = registerTransactionAdapter<Sql>({
 *   name: 'postgres.js',
 *   matches: (c): c is Sql => typeof c === 'function' && typeof (c as any).begin === 'function',
 *   begin: async (sql) => {
 *     const reserved = await sql.reserve();
 *     await reserved`BEGIN`;
 *     return {
 *       handle: reserved,
 *       commit: async () => { await reserved`COMMIT`; reserved.release(); },
 *       rollback: async () => { await reserved`ROLLBACK`; reserved.release(); },
 *     };
 *   },
 * });
 * ```
 */
export function registerTransactionAdapter<C = any>(adapter: TransactionAdapter<C>): () => void {
  validate(adapter);
  const list = registered();
  list.push(adapter);
  return () => {
    const i = list.indexOf(adapter);
    if (i >= 0) list.splice(i, 1);
  };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object' && typeof v !== 'function') return typeof v;
  const c = (v as { constructor?: { name?: unknown } }).constructor;
  return typeof c?.name === 'string' && c.name ? c.name : typeof v;
}

/**
 * The adapter for `conn`: registered ones first, then the built-ins. Throws a TypeError listing
 * what is supported when none matches.
 * @internal
 */
export function adapterFor(conn: unknown, position: string): TransactionAdapter {
  for (const a of registered()) if (a.matches(conn)) return a;
  for (const a of BUILT_INS) if (a.matches(conn)) return a;
  const extra = registered().map((a) => a.name);
  throw new TypeError(
    `safe-state transaction: ${position} (${typeName(conn)}) is not a supported connection. Supported: mysql2 connections and pools (callback or promise API), ` +
      `knex instances and knex transactions, better-sqlite3 databases, pg clients and pools, objects with beginTransaction()/commit()/rollback() methods` +
      `${extra.length ? `, and the registered adapters ${extra.map((n) => `'${n}'`).join(', ')}` : ''}; registerTransactionAdapter() adds more.`,
  );
}
