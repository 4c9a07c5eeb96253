/**
 * The seam between {@link transaction} and a database driver. Built-in adapters cover mysql2,
 * knex, better-sqlite3, pg and duck-typed objects; {@link registerTransactionAdapter} adds more.
 * Adapters never import their driver: they recognise its objects by shape.
 */

/**
 * What {@link TransactionAdapter.begin} is told about the transaction being started.
 *
 * @example
 * ```ts
 * begin: async (conn, ctx) => {
 *   await conn.query(ctx.xid ? `XA START '${ctx.xid}'` : 'START TRANSACTION');
 *   // ...
 * }
 * ```
 */
export interface BeginContext {
  /**
   * With `twoPhase`, the id of this participant's branch (letters, digits and `-`, at most 64
   * characters): begin a transaction that can be prepared under this id. `null` for an ordinary
   * transaction.
   */
  readonly xid: string | null;
}

/**
 * One participant's open transaction, as an adapter's `begin` returns it.
 *
 * Contract: `commit()` commits (after `prepare()`, it is phase 2: commit the prepared branch);
 * `rollback()` rolls back (also a prepared branch). Both release pooled connections. After a
 * one-phase `commit()` rejects, safe-state calls `rollback()` once to release what the branch
 * holds; it must not fail merely because the transaction is already gone. After a phase-2
 * `commit()` rejects, the branch must release what it holds by itself and leave the prepared
 * transaction alone: the decision is commit, so safe-state retries it through
 * {@link TwoPhaseSupport.commitPrepared} and, failing that, leaves it to recovery.
 *
 * @typeParam H - the type of the handle queries go through
 * @example
 * ```ts
 * const branch: AdapterTransaction<MyConn> = {
 *   handle: conn,
 *   commit: () => conn.commit(),
 *   rollback: () => conn.rollback(),
 * };
 * ```
 */
export interface AdapterTransaction<H = unknown> {
  /** What `tx.of(conn)` hands out: the object to run queries on inside the transaction. */
  readonly handle: H;
  /** Commits (phase 2 after {@link AdapterTransaction.prepare}). */
  commit(): Promise<void>;
  /** Rolls back; also called to clean up after a failed `commit()`. */
  rollback(): Promise<void>;
  /** Phase 1 of a two-phase commit (only called when the branch was begun with an `xid`). */
  prepare?(): Promise<void>;
}

/**
 * Two-phase commit support of an adapter: the checks and the recovery operations that work on
 * the connection (or pool) itself rather than on one open transaction.
 *
 * @typeParam C - the connection type the adapter handles
 * @example
 * ```ts
 * twoPhase: {
 *   check: async () => null,                       // can always take part
 *   listPrepared: async (c) => (await c.query('XA RECOVER')).map((r) => r.data),
 *   commitPrepared: async (c, id) => { await c.query(`XA COMMIT '${id}'`); return true; },
 *   rollbackPrepared: async (c, id) => { await c.query(`XA ROLLBACK '${id}'`); return true; },
 * }
 * ```
 */
export interface TwoPhaseSupport<C = any> {
  /** `null` when `conn` can take part in a two-phase commit, else the reason it cannot. */
  check(conn: C): Promise<string | null>;
  /** Ids of the transactions prepared on this connection's server (and database) and not yet resolved. */
  listPrepared(conn: C): Promise<string[]>;
  /** Commits a prepared transaction by id; `false` when no such prepared transaction exists. */
  commitPrepared(conn: C, xid: string): Promise<boolean>;
  /** Rolls back a prepared transaction by id; `false` when no such prepared transaction exists. */
  rollbackPrepared(conn: C, xid: string): Promise<boolean>;
  /**
   * Names the server (and, where prepared transactions are per database, the database) that
   * `listPrepared` looks at, e.g. `mysql://db1:3306` or `postgres://db2:5432/app`; `null` (or no
   * method) when unknown. Two connections that name the same must see the same prepared
   * transactions. Optional: it only lets recovery forget decisions whose coordinator died after
   * committing everything.
   */
  serverId?(conn: C): string | null;
}

/**
 * Teaches {@link transaction} a kind of connection. Register one with
 * {@link registerTransactionAdapter}.
 *
 * @typeParam C - the connection type the adapter handles
 * @example
 * ```ts
 * registerTransactionAdapter<MyClient>({
 *   name: 'my-client',
 *   matches: (c): c is MyClient => c instanceof MyClient,
 *   begin: async (c) => {
 *     await c.run('BEGIN');
 *     return { handle: c, commit: () => c.run('COMMIT'), rollback: () => c.run('ROLLBACK') };
 *   },
 * });
 * ```
 */
export interface TransactionAdapter<C = any> {
  /** Stable name, used in messages (`'mysql2'`, `'pg'`, ...). */
  readonly name: string;
  /** Whether this adapter handles `conn`. The first adapter that matches wins. */
  matches(conn: unknown): conn is C;
  /** Begins a transaction on `conn` (checking a connection out of a pool where needed). */
  begin(conn: C, context: BeginContext): Promise<AdapterTransaction>;
  /** A short human description of `conn` for messages, e.g. `mysql2 pool 127.0.0.1:3306/app`. */
  describe?(conn: C): string;
  /**
   * The object whose transactions must not overlap (a single connection), or `null` when every
   * transaction gets a connection of its own (a pool). Transactions on the same exclusive object
   * run one after the other. Default: `conn` itself.
   */
  exclusive?(conn: C): object | null;
  /** Present when the adapter can take part in `{ twoPhase: true }` transactions. */
  readonly twoPhase?: TwoPhaseSupport<C>;
}
