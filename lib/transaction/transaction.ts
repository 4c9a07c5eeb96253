import { randomBytes } from 'node:crypto';
import type { Branch } from './branch';
import { rollbackQuietly } from './branch';
import type { DecisionLog } from './decision-log';
import { resolveParticipants, type Participant } from './participant';
import { decisionLogOf, resolveTransactionOptions, type TransactionOptions } from './options';
import { acquireGates } from './connection-gate';
import { guardHandle } from './handle-guard';
import { transactionState } from './shared-state';
import { branchId, newTransactionId } from './xid';
import { claimRecovery, forgetRecovery, recoverOn } from './recovery';
import { commitInOrder } from './commit-in-order';
import { commitTwoPhase } from './two-phase-commit';
import { runAfter, runAfterBegin, runBeforeCommit } from './hooks';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { PartialCommitError } from '../errors/partial-commit-error';
import { SafeStateError } from '../errors/safe-state-error';

/**
 * What `tx.of(conn)` returns for a participant of type `C`: for a knex instance or transaction the
 * `Knex.Transaction`; for a mysql2 pool the pool connection of the same flavour (promise or
 * callback API); for a pg pool the checked-out `PoolClient`; otherwise the connection itself.
 * Worked out from the shapes of the drivers' types, so no driver's types are needed.
 *
 * @typeParam C - the participant's type
 * @example
 * ```ts
 * import type { Pool } from 'mysql2/promise';
 * type H = TransactionHandle<Pool>; // mysql2/promise PoolConnection
 * ```
 */
export type TransactionHandle<C> =
  C extends {
    /** knex: instances and transactions hand out their transaction type here */
    transactionProvider(...args: any[]): () => Promise<infer T>;
  } ? T
  : C extends {
    /** mysql2/promise pool */
    getConnection(): Promise<infer P>;
  } ? P
  : C extends {
    /** mysql2 callback pool */
    getConnection(callback: (err: any, connection: infer P) => any): void;
  } ? P
  : C extends {
    /** pg pool */
    totalCount: number;
    /** pg pool (its last overload) */
    connect(callback: (err: any, client: infer P, done: any) => void): void;
  } ? NonNullable<P>
  : C;

/**
 * Where a {@link Transaction} is in its life.
 *
 * @example
 * ```ts
 * if (tx.state === 'active') await tx.rollback();
 * ```
 */
export type TransactionState = 'active' | 'committing' | 'committed' | 'rolling back' | 'rolled back' | 'partially committed';

const exclusives = new WeakMap<Transaction, readonly object[]>();

/** The single connections a transaction holds (for the nested-transaction check). @internal */
export function exclusiveObjects(tx: Transaction): readonly object[] {
  return exclusives.get(tx) ?? [];
}

const singleSessions = new WeakMap<Transaction, ReadonlySet<unknown>>();

/**
 * Whether participant `conn` of `tx` is a single connection (not a pool): everything else sent on
 * it while the transaction is open becomes part of the transaction. @internal
 */
export function isSingleSession(tx: Transaction, conn: unknown): boolean {
  return singleSessions.get(tx)?.has(conn) ?? false;
}

interface Guarded {
  handle: unknown;
  close(): void;
}

/**
 * A transaction over one or more connections: begun on every participant, committed on all in
 * order (or with two-phase commit), rolled back on all. {@link transaction} is the callback form;
 * this class is for code that needs the transaction as a value, and supports `await using`:
 * disposing a transaction that was neither committed nor rolled back rolls it back.
 *
 * Transactions on the same single connection (not a pool) run one after the other: a second one
 * waits in `begin()` until the first ends.
 *
 * @example
 * ```ts
 * await using tx = await Transaction.begin([mysqlPool, pgPool]);
 * await tx.of(mysqlPool).query('UPDATE stock SET n = n - 1 WHERE sku = ?', [sku]);
 * await tx.of(pgPool).query('INSERT INTO orders (sku) VALUES ($1)', [sku]);
 * await tx.commit(); // without this line, leaving the block rolls both back
 * ```
 */
export class Transaction implements AsyncDisposable {
  /** An id for messages and logs; with `twoPhase`, the transaction id its branches carry. */
  readonly id: string;
  /** Whether the transaction commits with two-phase commit. */
  readonly twoPhase: boolean;
  /** Whether committing it marks the job's item in flight done (option `completesItem`, default true). */
  readonly completesItem: boolean;
  #state: TransactionState = 'active';
  readonly #parts: readonly Participant[];
  readonly #branches: readonly Branch[];
  readonly #guards: Map<unknown, Guarded>;
  readonly #log: DecisionLog | null;
  #release: () => void;

  private constructor(id: string, parts: readonly Participant[], branches: readonly Branch[], log: DecisionLog | null, release: () => void, completesItem: boolean) {
    this.id = id;
    this.completesItem = completesItem;
    this.twoPhase = log !== null;
    this.#parts = parts;
    this.#branches = branches;
    this.#log = log;
    this.#release = release;
    this.#guards = new Map();
    for (const b of branches) {
      this.#guards.set(b.part.conn, guardHandle(b.tx.handle, () => this.#closedError(b.part.label)));
    }
  }

  /**
   * Begins a transaction on every connection, in order. If one fails to begin, those already begun
   * are rolled back and the error is thrown. With `twoPhase`, every participant is checked first
   * (one that cannot take part: {@link InvalidOptionsError} naming it, before anything begins),
   * and prepared transactions a crash left on them are resolved (once per process).
   *
   * @param connections - a connection, pool or knex object, or a list of them
   * @param options - `twoPhase`, `decisionLog`, `recover`
   * @throws TypeError for a connection no adapter supports (the message lists what is supported)
   * @example
   * ```ts
   * const tx = await Transaction.begin(db);
   * try {
   *   tx.of(db).prepare('INSERT INTO t VALUES (?)').run(1);
   *   await tx.commit();
   * } finally {
   *   await tx[Symbol.asyncDispose](); // rolls back unless committed
   * }
   * ```
   */
  static async begin(connections: unknown, options?: TransactionOptions): Promise<Transaction> {
    const opts = resolveTransactionOptions(options);
    const parts = resolveParticipants(connections, opts.twoPhase ? 'transaction (twoPhase)' : 'transaction');
    if (opts.twoPhase) await refuseNonTwoPhase(parts);
    const log = opts.twoPhase ? decisionLogOf(opts.decisionLog) : null;
    const release = await acquireGates(parts.flatMap((p) => (p.exclusive ? [p.exclusive] : [])), (k) => parts.find((p) => p.exclusive === k)!.label);
    const id = log ? newTransactionId(log.id) : `tx-${randomBytes(6).toString('hex')}`;
    const inFlight = transactionState().inFlight;
    const branches: Branch[] = [];
    try {
      if (log) {
        if (opts.recover) await recoverOnce(parts, log);
        inFlight.add(id);
      }
      for (const p of parts) {
        const xid = log ? branchId(id, p.index) : null;
        const tx = await p.adapter.begin(p.conn, { xid });
        if (!tx || typeof tx.commit !== 'function' || typeof tx.rollback !== 'function' || (xid && typeof tx.prepare !== 'function')) {
          throw new TypeError(`transaction adapter '${p.adapter.name}' returned no valid transaction from begin() (it needs commit() and rollback()${xid ? ', and prepare() with twoPhase' : ''})`);
        }
        branches.push({ part: p, tx, xid });
      }
    } catch (error) {
      await rollbackQuietly(branches);
      inFlight.delete(id);
      release();
      throw error;
    }
    const tx = new Transaction(id, parts, branches, log, release, opts.completesItem);
    exclusives.set(tx, parts.flatMap((p) => (p.exclusive ? [p.exclusive] : [])));
    singleSessions.set(tx, new Set(parts.filter((p) => p.exclusive).map((p) => p.conn)));
    try {
      runAfterBegin(tx);
    } catch (error) {
      await tx.rollback().catch(() => undefined);
      throw error;
    }
    return tx;
  }

  /** Where the transaction is in its life. */
  get state(): TransactionState {
    return this.#state;
  }

  /** The connections taking part, in commit order (as they were passed in). */
  get participants(): readonly unknown[] {
    return this.#parts.map((p) => p.conn);
  }

  /**
   * Whether `conn` takes part in this transaction.
   * @param conn - a connection, pool or knex object
   * @example
   * ```ts
   * if (tx.has(pgPool)) await tx.of(pgPool).query('...');
   * ```
   */
  has(conn: unknown): boolean {
    return this.#guards.has(conn);
  }

  /**
   * The handle to run queries with on participant `conn` inside this transaction: for a knex
   * instance the `Knex.Transaction`, for a pool the checked-out connection (of the pool's flavour:
   * promise or callback API), otherwise the connection itself. The handle is a guarded view of
   * the driver's object (same methods and prototype) that throws once the transaction has ended,
   * so no query can slip out of the transaction unnoticed. The same handle is returned every time.
   *
   * @param conn - one of the participants, exactly as it was passed in
   * @throws TypeError when `conn` is not a participant; a `SafeStateError` with code
   *   `TRANSACTION_CLOSED` once the transaction has committed or rolled back
   * @example
   * ```ts
   * await transaction([knex, pgPool], async (tx) => {
   *   await tx.of(knex)('users').insert({ name: 'ada' });             // Knex.Transaction
   *   await tx.of(pgPool).query('INSERT INTO audit VALUES ($1)', ['ada']); // pg PoolClient
   * });
   * ```
   */
  of<C>(conn: C): TransactionHandle<C> {
    const g = this.#guards.get(conn);
    if (!g) {
      throw new TypeError(`tx.of(): this object is not a participant of transaction ${this.id} (participants: ${this.#parts.map((p) => p.label).join(', ')}); pass the very object given to transaction()`);
    }
    if (this.#handlesClosed) throw this.#closedError(this.#parts.find((p) => p.conn === conn)!.label);
    return g.handle as TransactionHandle<C>;
  }

  #handlesClosed = false;

  #closeHandles(): void {
    this.#handlesClosed = true;
    for (const g of this.#guards.values()) g.close();
  }

  #closedError(label: string): SafeStateError {
    const how = this.#state === 'committed' ? 'committed' : this.#state === 'active' ? 'ended' : this.#state;
    return new SafeStateError('TRANSACTION_CLOSED', `the handle of ${label} belongs to transaction ${this.id}, which has ${how === 'committing' || how === 'rolling back' ? `begun ${how === 'committing' ? 'committing' : 'rolling back'}` : how === 'partially committed' ? 'ended (partially committed)' : how}; run further queries in a new transaction or on the connection itself`);
  }

  #assertActive(what: string): void {
    if (this.#state !== 'active') {
      throw new SafeStateError('TRANSACTION_CLOSED', `cannot ${what} transaction ${this.id}: it is ${this.#state}`);
    }
  }

  #finish(state: TransactionState): void {
    this.#state = state;
    this.#closeHandles();
    if (this.#log) transactionState().inFlight.delete(this.id);
    this.#release();
  }

  /**
   * Commits every participant. Without `twoPhase`: one after the other in order; if a commit fails
   * after earlier ones succeeded, the rest are rolled back and a {@link PartialCommitError} says
   * what committed and what rolled back (if the first commit fails, everything is rolled back and
   * its error is thrown). With `twoPhase`: all commit or none does (see {@link TransactionOptions.twoPhase}).
   *
   * @throws a `SafeStateError` with code `TRANSACTION_CLOSED` when the transaction already ended
   * @example
   * ```ts
   * const tx = await Transaction.begin([a, b]);
   * await tx.of(a).query('...');
   * await tx.commit();
   * ```
   */
  async commit(): Promise<void> {
    this.#assertActive('commit');
    this.#state = 'committing';
    try {
      await runBeforeCommit(this);
    } catch (error) {
      this.#closeHandles();
      await rollbackQuietly(this.#branches);
      this.#finish('rolled back');
      runAfter(this, 'rollback');
      throw error;
    }
    this.#closeHandles();
    try {
      if (this.#log) await commitTwoPhase(this.#branches, this.id, this.#log);
      else await commitInOrder(this.#branches);
    } catch (error) {
      const partial = PartialCommitError.is(error);
      this.#finish(partial ? 'partially committed' : 'rolled back');
      runAfter(this, partial ? 'partial' : 'rollback');
      throw error;
    }
    this.#finish('committed');
    runAfter(this, 'commit');
  }

  /**
   * Rolls every participant back. Each one is attempted even when another fails; the first
   * failure is then thrown (a participant whose rollback failed is not committed either: its server
   * rolls back what a broken session held).
   *
   * @throws a `SafeStateError` with code `TRANSACTION_CLOSED` when the transaction already committed
   * @example
   * ```ts
   * const tx = await Transaction.begin(db);
   * if (!valid) await tx.rollback();
   * ```
   */
  async rollback(): Promise<void> {
    if (this.#state === 'rolled back' || this.#state === 'rolling back') return;
    this.#assertActive('roll back');
    this.#state = 'rolling back';
    this.#closeHandles();
    const errors: unknown[] = [];
    for (const b of this.#branches) {
      try {
        await b.tx.rollback();
      } catch (e) {
        errors.push(e);
      }
    }
    this.#finish('rolled back');
    runAfter(this, 'rollback');
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `rolling back transaction ${this.id} failed on ${errors.length} participants`);
  }

  /**
   * `await using` support: rolls back a transaction that was neither committed nor rolled back;
   * does nothing otherwise.
   * @example
   * ```ts
   * {
   *   await using tx = await Transaction.begin(pool);
   *   await tx.of(pool).query('DELETE FROM sessions');
   *   if (await looksWrong()) return; // rolled back here
   *   await tx.commit();
   * }
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === 'active') await this.rollback();
  }
}

/** Refuses participants that cannot take part in a two-phase commit, before anything begins. */
async function refuseNonTwoPhase(parts: readonly Participant[]): Promise<void> {
  const checks = transactionState().twoPhaseChecks;
  for (const p of parts) {
    const tp = p.adapter.twoPhase;
    if (!tp) {
      throw new InvalidOptionsError('twoPhase', `twoPhase: participant ${p.label} cannot take part in a two-phase commit (${p.adapter.name} cannot prepare a transaction); two-phase commit needs MySQL/MariaDB or PostgreSQL connections, pools or knex instances`);
    }
    const key = p.conn as object;
    let check = checks.get(key);
    if (!check) {
      check = tp.check(p.conn);
      checks.set(key, check);
      check.catch(() => checks.delete(key)); // a failed check (unreachable server) is asked again next time
    }
    const reason = await check;
    if (reason) throw new InvalidOptionsError('twoPhase', `twoPhase: participant ${p.label} cannot take part in a two-phase commit: ${reason}`);
  }
}

/** The once-per-process recovery of leftovers on the participants. */
async function recoverOnce(parts: readonly Participant[], log: DecisionLog): Promise<void> {
  const todo = parts.filter((p) => claimRecovery(p, log));
  if (todo.length === 0) return;
  try {
    await recoverOn(todo, log, false);
  } catch (error) {
    for (const p of todo) forgetRecovery(p, log);
    throw error;
  }
}
