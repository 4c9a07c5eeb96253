import * as path from 'node:path';
import { defaultDecisionLogDir, FileDecisionLog, type DecisionLog } from './decision-log';
import { InvalidOptionsError } from '../errors/invalid-options-error';

/**
 * Options of {@link transaction} and {@link Transaction.begin}.
 *
 * @example
 * ```ts
 * await transaction([mysqlPool, pgPool], { twoPhase: true, decisionLog: '/var/lib/app/tx' }, async (tx) => {
 *   await tx.of(mysqlPool).query('UPDATE stock SET n = n - 1 WHERE sku = ?', [sku]);
 *   await tx.of(pgPool).query('INSERT INTO orders (sku) VALUES ($1)', [sku]);
 * });
 * ```
 */
export interface TransactionOptions {
  /**
   * Commit with the databases' own two-phase commit (XA on MySQL/MariaDB, PREPARE TRANSACTION on
   * PostgreSQL), so that either every participant commits or none does, also across a crash.
   * Every participant must support it; one that cannot (SQLite, a PostgreSQL with
   * `max_prepared_transactions = 0`, a duck-typed object, an existing knex transaction) is refused
   * with {@link InvalidOptionsError} before anything begins. Default `false`: commits run in
   * order, and a failure after an earlier commit is a {@link PartialCommitError}.
   */
  twoPhase?: boolean;
  /**
   * Where two-phase commit decisions are recorded: a directory (a {@link FileDecisionLog}) or any
   * {@link DecisionLog}. Default: the directory `transactions` in the default state directory
   * (`$SAFE_STATE_DIR/transactions`, else `.safe_state/transactions` under the working directory).
   * The recovery after a crash must use the same log. Only used with `twoPhase`.
   */
  decisionLog?: string | DecisionLog;
  /**
   * With `twoPhase`: before the first transaction on each participant in this process, resolve the
   * prepared transactions that crashed coordinators of this host left on it (see
   * {@link recoverTransactions}). Default `true`.
   */
  recover?: boolean;
  /**
   * Inside a `@SafeState` job whose `SqlBackend` shares a connection, pool or knex object with a
   * participant: whether committing this transaction also marks the job's item in flight done, in
   * the same commit (exactly-once; see docs/transactions.md). Default `true`. Set `false` on a
   * transaction that is only one step of an item whose later steps must still run after a crash.
   */
  completesItem?: boolean;
}

const KNOWN = new Set(['twoPhase', 'decisionLog', 'recover', 'completesItem']);

/** @internal */
export interface ResolvedTransactionOptions {
  twoPhase: boolean;
  /** the `decisionLog` option, checked; opened (a directory is created) only when needed */
  decisionLog: string | DecisionLog | undefined;
  recover: boolean;
  completesItem: boolean;
}

const fileLogs = new Map<string, FileDecisionLog>();

function checkDecisionLog(option: unknown): asserts option is DecisionLog {
  if (option === '') throw new InvalidOptionsError('decisionLog', 'decisionLog must not be an empty path');
  const o = option as Partial<DecisionLog> | null;
  if (typeof o !== 'object' || o === null || typeof o.id !== 'string' || !o.id) {
    throw new InvalidOptionsError('decisionLog', 'decisionLog must be a directory path or a DecisionLog (an object with an `id` string and record/markDone/lookup/forget methods)');
  }
  for (const m of ['record', 'markDone', 'lookup', 'forget'] as const) {
    if (typeof o[m] !== 'function') throw new InvalidOptionsError('decisionLog', `decisionLog: the DecisionLog has no ${m}() method`);
  }
}

/** The decision log an option names (one FileDecisionLog per absolute directory). @internal */
export function decisionLogOf(option: string | DecisionLog | undefined): DecisionLog {
  if (option !== undefined && typeof option !== 'string') {
    checkDecisionLog(option);
    return option;
  }
  if (option === '') checkDecisionLog(option);
  // the default directory is looked up now (SAFE_STATE_DIR, configure()), not when this module loaded
  const key = path.resolve(option ?? defaultDecisionLogDir());
  let log = fileLogs.get(key);
  if (!log) {
    log = new FileDecisionLog(option);
    fileLogs.set(key, log);
  }
  return log;
}

/** Validates the options (unknown names and wrong types fail with InvalidOptionsError). @internal */
export function resolveTransactionOptions(options: TransactionOptions | undefined): ResolvedTransactionOptions {
  if (options === undefined) return { twoPhase: false, decisionLog: undefined, recover: true, completesItem: true };
  if (typeof options !== 'object' || options === null) throw new InvalidOptionsError('options', `transaction options must be an object (got ${options === null ? 'null' : typeof options})`);
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw new InvalidOptionsError(k, `unknown transaction option '${k}' (known: ${[...KNOWN].join(', ')})`);
  }
  for (const k of ['twoPhase', 'recover', 'completesItem'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new InvalidOptionsError(k, `${k} must be a boolean (got ${typeof options[k]})`);
  }
  const log = options.decisionLog;
  if (log !== undefined && (typeof log !== 'string' || log === '')) checkDecisionLog(log);
  return { twoPhase: options.twoPhase === true, decisionLog: log, recover: options.recover !== false, completesItem: options.completesItem !== false };
}
