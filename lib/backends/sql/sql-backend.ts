import { StateBackend } from '../state-backend';
import type { BackendLock, LockHolder } from '../lock';
import { parseLockRecord } from '../lock-record';
import { inProcessLock } from '../in-process-lock';
import { ServerSilence, withDeadline } from '../deadline';
import type { SqlConnection } from './sql-connection';
import type { Rows, SqlDriver } from './sql-driver';
import { driverFor } from './detect-driver';
import { resolveSqlOptions, type SqlBackendOptions, type SqlDialect } from './sql-options';
import type { Dialect, SqlStatements } from './dialects/dialect';
import { sqlite } from './dialects/sqlite';
import { mysql } from './dialects/mysql';
import { postgres } from './dialects/postgres';
import { checkpointId, lockId, recordPattern } from './job-ids';
import { confirmFence, connectionLost, fencedApplied, type SqlFence } from './sql-fence';
import { SqliteLeases } from './sqlite-lease';
import { takeSessionLock } from './session-lock';
import { SharedSession } from './shared-session';
import { SqlRecords } from './sql-records';
import { SqlKeyClaims } from './sql-key-claims';
import type { KeyClaims } from '../../idempotency/key-claims';
import type { StoredRecord } from '../transactional-records';
import { SqlChunks } from './sql-chunks';
import type { SharedChunkStore } from '../shared-chunks';
import { BackendError } from '../../errors/backend-error';
import { InvalidOptionsError } from '../../errors/invalid-options-error';
import { JobLockedError } from '../../errors/job-locked-error';
import { SafeStateError } from '../../errors/safe-state-error';
import type { WorkerSpec } from '../blocking/worker-spec';
import { adoptedLock, sqlWorkerSpec } from '../blocking/connection-specs';
import { loadDriver } from '../../reconnect/load-driver';
import type { HeldLease } from './sqlite-lease';

const DIALECTS: Record<SqlDialect, Dialect> = { sqlite, mysql, postgres };

/** Whether a driver error says the table does not exist (SQLite, MySQL/MariaDB, PostgreSQL). */
function isMissingTable(e: unknown): boolean {
  const x = e as { code?: unknown; errno?: unknown; message?: unknown };
  return x?.code === 'ER_NO_SUCH_TABLE' || x?.errno === 1146 || x?.code === '42P01' || /no such table/i.test(String(x?.message));
}

/**
 * Keeps checkpoints in a table of an SQL database: SQLite (better-sqlite3, the default dialect),
 * MySQL or MariaDB (mysql2, a connection or a pool, callback or promise API), PostgreSQL (pg, a
 * client or a pool), or any of these through a knex instance.
 *
 * - The table (`safe_state_checkpoints` by default) is created when missing. One row per job
 *   (`id` = `job:` + SHA-256 of the name, `job_name`, `data`, `updated_at`), plus one row per held
 *   lock (`lock:…`, the holder).
 * - Every save is one autocommit upsert of the whole (small, O(1)) checkpoint; there is no
 *   `append`: an SQL `CONCAT` rewrites the row anyway, so appending would cost more, not less (see
 *   docs/backends.md).
 * - With better-sqlite3 saves are synchronous (`saveSync`), so a plain `for..of` keeps the
 *   at-most-the-item-in-flight guarantee; with the network databases a `for..of` waits for each
 *   save through a worker thread with a connection of its own (see docs/backends.md).
 * - Locks: SQLite a lease row (renewed while the job runs; a dead holder on this host is taken over
 *   at once, one elsewhere when its lease ran out); MySQL `GET_LOCK` and PostgreSQL advisory locks on
 *   a connection the backend holds while any of its runs hold locks (from a pool: one connection,
 *   checked out while runs hold locks; every operation of the backend goes through it meanwhile, so
 *   a pool of one connection is enough). A second run fails with `JobLockedError` naming the holder.
 * - Fencing: while a run holds the job's lock, its saves and its final delete apply only if the job's
 *   lock row still holds the run's record, checked in the same statement (see sql-fence.ts). A run
 *   that lost its lock (its lease ran out, or its lock connection was killed, and another run took
 *   the job over, even if that run has finished since) writes nothing and fails with
 *   `JobLockedError` (`lost`).
 * - Failures are `BackendError`s with the driver's error as `cause`. MySQL and PostgreSQL
 *   operations fail within `timeoutMs` (5 s by default) when the server does not answer.
 *
 * A save counts when the database committed it (so its durability is the server's: InnoDB's
 * `innodb_flush_log_at_trx_commit`, PostgreSQL's `synchronous_commit`, SQLite's `synchronous`).
 * The backend never closes the connection you gave it; {@link SqlBackend.fromUrl} opens one of its
 * own, which {@link SqlBackend.close} closes. Reading (load, exists, list) never creates the table.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * const backend = new SqlBackend(new Database('jobs.db'));                       // SQLite
 * const pg = new SqlBackend(new Pool({ connectionString: url }), { table: 'checkpoints' }); // PostgreSQL
 * class Import { @SafeState({ name: 'import', backend }) async run(rows: Row[]) { for (const r of rows) insert(r); } }
 * ```
 */
export class SqlBackend extends StateBackend {
  /** The dialect in use. */
  readonly dialect: SqlDialect;
  /** The checkpoint table. */
  readonly table: string;
  private readonly driver: SqlDriver;
  private readonly impl: Dialect;
  private readonly stmts: SqlStatements;
  private readonly timeoutMs: number;
  /** whether the server is known silent (an operation timed out and nothing answered since) */
  private readonly silence: ServerSilence;
  private readonly leases: SqliteLeases | null;
  /** the connection held while runs hold locks (session locking): every operation goes through it meanwhile */
  private readonly shared: SharedSession;
  /** checkpoint row ids of recent job names (a run saves its job's row once per item) */
  private readonly ids = new Map<string, string>();
  /** the connection fromUrl opened (closed by close()), else null */
  private owned: { close(): Promise<void> } | null = null;
  private ready: Promise<void> | null = null;
  /** rows written inside users' transactions (exactly-once) */
  private readonly records: SqlRecords;
  private tableReady = false;
  private scope = '';
  private readonly leaseMs: number;
  /** the fences of the runs holding session locks (MySQL, PostgreSQL; SQLite's are its leases) */
  private readonly fences = new Map<string, SqlFence>();

  /**
   * @param conn - a better-sqlite3 `Database`, a mysql2 connection or pool, a pg `Client` or `Pool`, or a knex instance
   * @param options - see {@link SqlBackendOptions}
   */
  constructor(conn: SqlConnection, options?: SqlBackendOptions) {
    super();
    const o = resolveSqlOptions(options);
    this.driver = driverFor(conn);
    if (o.dialect && this.driver.dialect && o.dialect !== this.driver.dialect) {
      throw new InvalidOptionsError('dialect', `SqlBackend dialect '${o.dialect}' does not match the connection (${this.driver.name}, which speaks '${this.driver.dialect}')`);
    }
    if (!o.dialect && !this.driver.dialect && this.driver.name === 'knex') {
      throw new InvalidOptionsError('dialect', `SqlBackend cannot tell the dialect of this knex instance (client ${String((conn as { client?: { config?: { client?: unknown } } }).client?.config?.client)}); pass 'dialect' ('sqlite', 'mysql' or 'postgres')`);
    }
    this.dialect = o.dialect ?? this.driver.dialect ?? 'sqlite';
    this.table = o.table;
    this.impl = DIALECTS[this.dialect];
    this.stmts = this.impl.statements(this.table);
    this.records = new SqlRecords({
      driver: this.driver,
      stmts: this.stmts,
      table: this.table,
      run: (what, sql, params, read) => this.run(what, sql, params, read),
      ensure: () => (this.driver.sync ? Promise.resolve(this.ensureSync()) : this.ensure()),
    });
    this.timeoutMs = o.timeoutMs;
    this.leaseMs = o.leaseMs;
    this.silence = new ServerSilence(o.timeoutMs);
    this.leases = this.impl.locking === 'lease' ? new SqliteLeases(o.leaseMs, this.stmts) : null;
    this.shared = new SharedSession(() => {
      // a connection checked out after the deadline went off is given back at once
      const p = this.driver.session();
      return this.deadline(p, 'cannot get a connection for the lock').catch((e: unknown) => {
        p.then((s) => s.release(false), () => undefined);
        throw e;
      });
    });
    if (this.driver.sync) {
      // better-sqlite3 answers synchronously: offer the synchronous hook (see StateBackend.saveSync)
      (this as { saveSync?: StateBackend['saveSync'] }).saveSync = (jobName: string, data: string) => this.saveNowSync(jobName, data);
    }
  }

  /**
   * Opens a connection of its own (loading the driver only now) and keeps checkpoints there; the
   * backend owns it: {@link SqlBackend.close} closes it.
   * - `sqlite:<file>` (or `sqlite://<file>`, `sqlite:///abs/path`): better-sqlite3 on that file,
   *   created when missing;
   * - `mysql://user:password@host:port/db` (or `mariadb://`): a mysql2 pool;
   * - `postgres://user:password@host:port/db` (or `postgresql://`): a pg pool.
   * Connecting to MySQL and PostgreSQL fails within `timeoutMs` (5 s by default).
   * @param url - where the database is
   * @param options - see {@link SqlBackendOptions} (a `dialect` must agree with the URL)
   */
  static fromUrl(url: string, options?: SqlBackendOptions): SqlBackend {
    const o = resolveSqlOptions(options);
    const scheme = typeof url === 'string' ? /^([a-z]+):/i.exec(url)?.[1]?.toLowerCase() : undefined;
    let conn: SqlConnection;
    let close: () => Promise<void>;
    // from safe-state's place, else from the application's working directory: inside a webpack
    // bundle `require(name)` of a computed name finds nothing (webpack's empty context)
    const driver = <T>(name: string): T => {
      try {
        return loadDriver<T>(name);
      } catch (e) {
        const why = (e as Error).cause instanceof Error ? ((e as Error).cause as Error) : (e as Error);
        throw new BackendError(`SqlBackend.fromUrl needs the ${name} package: npm install ${name} (${why.message})`, { cause: e });
      }
    };
    if (scheme === 'sqlite') {
      const file = url.slice('sqlite:'.length).replace(/^\/\//, '');
      if (file === '') throw new InvalidOptionsError('url', `SqlBackend.fromUrl: ${JSON.stringify(url)} names no SQLite file (sqlite:path/to/file.db)`);
      const Database = driver<typeof import('better-sqlite3')>('better-sqlite3');
      let db: import('better-sqlite3').Database;
      try {
        db = new Database(file);
      } catch (e) {
        throw new BackendError(`cannot open the SQLite database ${file}: ${(e as Error).message}`, { cause: e });
      }
      conn = db;
      close = async () => void db.close();
    } else if (scheme === 'mysql' || scheme === 'mariadb') {
      const mysql = driver<typeof import('mysql2')>('mysql2');
      const pool = mysql.createPool({ uri: scheme === 'mariadb' ? 'mysql:' + url.slice('mariadb:'.length) : url, connectTimeout: o.timeoutMs });
      const sockets = new Set<{ destroy(): void }>();
      type Socket = { destroy(): void; ref?(): void; unref?(): void; once(e: string, f: () => void): unknown };
      const socketOf = (c: unknown) => (c as { stream?: Socket }).stream;
      pool.on('connection', (c) => {
        c.on('error', () => undefined); // reported by the operation that needed it
        const stream = socketOf(c);
        if (stream) {
          sockets.add(stream);
          stream.once('close', () => sockets.delete(stream));
        }
      });
      // an idle connection in the pool does not keep the process alive; one in use does
      pool.on('acquire', (c) => socketOf(c)?.ref?.());
      pool.on('release', (c) => socketOf(c)?.unref?.());
      conn = pool;
      close = async () => {
        // QUIT waits for the server: bounded, then the sockets are dropped (a hung server never answers)
        await withDeadline(new Promise<void>((resolve) => pool.end(() => resolve())), Math.min(1_000, o.timeoutMs), () => new Error('no answer to QUIT')).catch(() => undefined);
        for (const s of sockets) s.destroy();
      };
    } else if (scheme === 'postgres' || scheme === 'postgresql') {
      const pg = driver<typeof import('pg')>('pg');
      // allowExitOnIdle: idle clients in the pool do not keep the process alive
      const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: o.timeoutMs, allowExitOnIdle: true });
      pool.on('error', () => undefined); // an idle client lost its server: the next operation reports it
      conn = pool;
      close = () => withDeadline(pool.end(), Math.min(1_000, o.timeoutMs), () => new Error('no answer to Terminate')).catch(() => undefined);
    } else {
      throw new InvalidOptionsError('url', `SqlBackend.fromUrl needs a sqlite:, mysql://, mariadb://, postgres:// or postgresql:// URL (got ${JSON.stringify(url)})`);
    }
    let backend: SqlBackend;
    try {
      backend = new SqlBackend(conn, options);
    } catch (e) {
      void close().catch(() => undefined);
      throw e;
    }
    backend.owned = { close };
    return backend;
  }

  private idOf(jobName: string): string {
    let id = this.ids.get(jobName);
    if (id === undefined) {
      if (this.ids.size >= 64) this.ids.clear();
      id = checkpointId(jobName);
      this.ids.set(jobName, id);
    }
    return id;
  }

  private fail(e: unknown, what: string): Error {
    if (SafeStateError.is(e)) return e;
    const msg = e instanceof Error ? e.message : String(e);
    return new BackendError(`${this.dialect} (${this.driver.name}, table ${this.table}): ${what}: ${msg}`, { cause: e });
  }

  /**
   * Bounds an operation by `timeoutMs`. A timeout marks the server silent (see ServerSilence):
   * until it answers, or `timeoutMs` has passed, further operations fail at once, so a failure
   * path (failure save, release) after a timeout costs no second wait.
   */
  private deadline<T>(p: Promise<T>, what: string): Promise<T> {
    if (this.driver.sync) return p;
    const answered = p.then(
      (v) => {
        this.silence.answered();
        return v;
      },
      (e: unknown) => {
        if (e && typeof e === 'object' && ('sqlState' in e || 'severity' in e)) this.silence.answered(); // an error the server sent (mysql2, pg)
        throw e;
      },
    );
    if (this.silence.silent) {
      answered.catch(() => undefined);
      return Promise.reject(new BackendError(`${this.dialect} (${this.driver.name}, table ${this.table}): ${what}: ${this.silence.error().message}`));
    }
    return withDeadline(answered, this.timeoutMs, () => {
      this.silence.noAnswer();
      return new BackendError(`${this.dialect} (${this.driver.name}, table ${this.table}): ${what}: no answer within ${this.timeoutMs} ms`);
    });
  }

  private ensureSync(): void {
    if (this.tableReady) return;
    for (const sql of this.impl.createTable(this.table)) this.driver.querySync!(sql, []);
    this.tableReady = true;
  }

  /** Creates the table when missing (once per backend; retried after a failure). */
  private ensure(): Promise<void> {
    if (this.tableReady) return Promise.resolve();
    this.ready ??= (async () => {
      for (const sql of this.impl.createTable(this.table)) {
        try {
          await this.deadline(this.driver.query(sql, []), 'cannot create the table');
        } catch (e) {
          // two processes creating the table at once (PostgreSQL reports a duplicate): fine if it is there now
          if (SafeStateError.is(e)) throw e;
          try {
            await this.deadline(this.driver.query(this.stmts.exists, ['']), 'cannot create the table');
          } catch {
            throw e;
          }
        }
      }
      if (this.impl.scopeQuery) {
        const rows = await this.deadline(this.driver.query(this.impl.scopeQuery, []), 'cannot read the schema name');
        this.scope = String(rows[0]?.[0] ?? '');
      }
      this.tableReady = true;
    })().catch((e) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  /**
   * Runs a statement within the deadline: on the connection held for locks while there is one.
   * Writes create the table first when missing; reads (`read`) do not: a missing table reads as
   * empty, so inspecting a database never changes it.
   */
  private async run(what: string, sql: string, params: unknown[], read = false, resend = false): Promise<Rows> {
    try {
      if (!read) await this.ensure();
      const session = this.shared.session;
      if (!session) return await this.deadline(this.driver.query(sql, params), what);
      try {
        return await this.deadline(session.query(sql, params), what);
      } catch (e) {
        // `resend`: a fenced statement or a read, harmless to send again. The held connection is
        // gone (killed, timed out idle), and the server locks with it: go on through the pool,
        // where the fence tells whether the run still owns its job.
        if (!resend || !connectionLost(e)) throw e;
        this.shared.broke(session);
        return await this.deadline(this.driver.query(sql, params), what);
      }
    } catch (e) {
      if (read && !this.tableReady && isMissingTable(e)) return [];
      throw this.fail(e, what);
    }
  }

  private chunks: SqlChunks | null = null;

  /**
   * The chunk store of shared jobs (`workers: 'shared'`): one row per chunk in `<table>_chunks`,
   * created when missing (see docs/shared-workers.md).
   */
  override sharedChunks(): SharedChunkStore {
    return (this.chunks ??= new SqlChunks(this.dialect, this.table, (what, sql, params, read) => this.run(what, sql, params, read)));
  }

  private claims: SqlKeyClaims | null = null;

  /**
   * Per-key claims of idempotency records (`IdempotencyCache`, `@Idempotent({ key })`): one row per
   * key in `<table>_keys`, created when missing; any number of processes share one cache at once.
   * @internal
   */
  keyClaims(): KeyClaims {
    return (this.claims ??= new SqlKeyClaims(this.dialect, this.table, this.leaseMs, (what, sql, params, read) => this.run(what, sql, params, read), this.driver));
  }

  /** @inheritDoc */
  async load(jobName: string): Promise<string | null> {
    const rows = await this.run(`cannot load job '${jobName}'`, this.stmts.load, [this.idOf(jobName)], true);
    const v = rows[0]?.[0];
    if (v == null) return null;
    return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }

  /** The fence of the run holding the job's lock through this backend, if one does. */
  private fenceOf(jobName: string): SqlFence | undefined {
    return this.leases ? this.leases.held.get(jobName) : this.fences.get(jobName);
  }

  /**
   * Runs a fenced statement (see sql-fence.ts); when it reports no row, reads the lock row to tell
   * a statement that had nothing to change from a lost lock (`JobLockedError`, `lost`).
   */
  private async fenced(what: string, jobName: string, fence: SqlFence, sql: string, params: unknown[]): Promise<void> {
    if (fencedApplied(await this.run(what, sql, params, false, true))) return;
    let current: unknown = null;
    try {
      current = (await this.run(what, this.stmts.lockHolder, [fence.id], true, true))[0]?.[0];
    } catch {
      /* name no holder */
    }
    confirmFence(jobName, fence, current);
  }

  /** The synchronous save of better-sqlite3 (installed as `saveSync` by the constructor). */
  private saveNowSync(jobName: string, data: string): void {
    const d = this.driver;
    let written = true;
    try {
      this.ensureSync();
      const now = Date.now();
      const lease = this.leases?.held.get(jobName);
      if (!lease) {
        d.querySync!(this.stmts.upsert, [this.idOf(jobName), jobName, data, now]);
        return;
      }
      const write = () => d.querySync!(this.stmts.fencedUpsert, [this.idOf(jobName), jobName, data, now, lease.id, lease.record]).length > 0;
      const due = this.leases!.renewalDue(jobName, now);
      if (!due) written = write();
      else {
        const r = this.leases!.renewal(due, now);
        written = d.transactionSync!(() => d.querySync!(this.stmts.leaseRenew!, r.params).length > 0 && write());
        if (written) due.expiresAt = r.expiresAt;
      }
    } catch (e) {
      throw this.fail(e, `cannot save job '${jobName}'`);
    }
    if (!written) {
      let holder = null;
      try {
        holder = parseLockRecord(d.querySync!(this.stmts.lockHolder, [lockId(jobName)])[0]?.[0]);
      } catch {
        /* name no holder */
      }
      throw new JobLockedError(jobName, holder, true);
    }
  }

  /**
   * One autocommit upsert of the whole checkpoint; while a run holds the job's lock, fenced: only
   * while the lock row is still the run's (else `JobLockedError`, `lost`, and nothing is written).
   * @param jobName - the job
   * @param data - the text
   */
  async save(jobName: string, data: string): Promise<void> {
    if (this.driver.sync) return this.saveNowSync(jobName, data);
    const fence = this.fenceOf(jobName);
    const params = [this.idOf(jobName), jobName, data, Date.now()];
    const what = `cannot save job '${jobName}'`;
    if (!fence) await this.run(what, this.stmts.upsert, params);
    else await this.fenced(what, jobName, fence, this.stmts.fencedUpsert, [...params, fence.id, fence.record]);
  }

  /**
   * Deletes the job's checkpoint and the records its transactions wrote (see docs/transactions.md),
   * in one statement; while a run holds the job's lock, fenced like {@link SqlBackend.save}.
   */
  async delete(jobName: string): Promise<void> {
    const fence = this.fenceOf(jobName);
    if (!fence) return this.records.deleteWithRecords(this.idOf(jobName), jobName);
    await this.fenced(`cannot delete '${jobName}'`, jobName, fence, this.stmts.fencedDelete, [fence.id, fence.record, this.idOf(jobName), recordPattern(jobName)]);
  }

  /** @internal */
  sharedParticipant(participants: readonly unknown[]): unknown {
    return this.records.sharedParticipant(participants);
  }

  /** @internal */
  addRecord(participant: unknown, handle: unknown, name: string, record: string): Promise<void> {
    return this.records.addRecord(participant, handle, name, record);
  }

  /** @internal */
  readRecords(name: string, settle?: boolean): Promise<StoredRecord[]> {
    return this.records.readRecords(name, settle);
  }

  /** @internal */
  deleteRecords(ids: readonly string[]): Promise<void> {
    return this.records.deleteRecords(ids);
  }

  /** @inheritDoc */
  async exists(jobName: string): Promise<boolean> {
    return (await this.run(`cannot check job '${jobName}'`, this.stmts.exists, [this.idOf(jobName)], true)).length > 0;
  }

  /** Names of the jobs with a checkpoint in the table, sorted. */
  override async list(): Promise<string[]> {
    const rows = await this.run('cannot list jobs', this.stmts.list, [], true);
    return rows.map((r) => String(r[0])).sort();
  }

  /**
   * Takes the job's lock (see the class description): a lease row on SQLite, a server lock on a held
   * connection on MySQL and PostgreSQL. Throws `JobLockedError` naming the holder.
   * @param jobName - the job
   * @param holder - who asks
   */
  override async lock(jobName: string, holder: LockHolder): Promise<BackendLock> {
    const what = `cannot lock job '${jobName}'`;
    try {
      await this.ensure();
    } catch (e) {
      throw this.fail(e, what);
    }
    if (this.leases) {
      try {
        return await this.leases.take(
          (sql, params) => this.deadline(this.driver.query(sql, params), what),
          this.driver.querySync?.bind(this.driver),
          jobName,
          holder,
        );
      } catch (e) {
        throw this.fail(e, what);
      }
    }
    // a server lock is re-entrant within one connection: exclude runs of this process first
    let local: BackendLock;
    try {
      local = inProcessLock(this.driver.identity, `${this.table}\0${this.scope}\0${jobName}`, holder);
    } catch (e) {
      throw new JobLockedError(jobName, (e as JobLockedError).holder);
    }
    try {
      const ref = await this.shared.acquire().catch((e: unknown) => {
        throw this.fail(e, what);
      });
      const lock = await takeSessionLock(
        ref,
        {
          dialect: this.impl,
          stmts: this.stmts,
          key: this.impl.lockKey!(this.scope, this.table, jobName),
          run: (r, sql, params) =>
            this.deadline(r.session.query(sql, params), what).catch((e: unknown) => {
              throw this.fail(e, what);
            }),
        },
        jobName,
        holder,
      );
      this.fences.set(jobName, lock.fence);
      const forget = () => {
        if (this.fences.get(jobName) === lock.fence) this.fences.delete(jobName);
      };
      return {
        release: async () => {
          forget();
          try {
            await lock.release();
          } finally {
            await local.release();
          }
        },
        releaseSync: () => {
          forget();
          local.releaseSync?.();
        },
      };
    } catch (e) {
      await local.release();
      throw e;
    }
  }

  /**
   * How a worker thread opens this backend on a connection of its own (the options of yours), with
   * the run's lease on SQLite, so a plain `for..of` can wait for each save (see
   * {@link StateBackend.workerSpec}). better-sqlite3 saves synchronously already: none.
   * @internal
   * @param jobName - the job whose run saves
   */
  override workerSpec(jobName: string): WorkerSpec | null {
    if (this.driver.sync) return null;
    const options = { dialect: this.dialect, table: this.table, timeoutMs: this.timeoutMs, leaseMs: this.leaseMs };
    return sqlWorkerSpec(this.driver.name, this.driver.identity, options, this.fenceOf(jobName), this.timeoutMs);
  }

  /**
   * The worker's side of {@link SqlBackend.workerSpec}: its saves are fenced by the run's lock row
   * (and, on SQLite, renew the run's lease).
   * @internal
   * @param jobName - the job
   * @param state - the lock's plain-data state
   */
  adoptLock(jobName: string, state: Record<string, unknown>): void {
    if (this.leases) this.leases.held.set(jobName, adoptedLock<HeldLease>(state));
    else this.fences.set(jobName, { id: String(state.id), record: String(state.record) });
  }

  /**
   * Stops lease renewals and gives back the connections held by runs; closes the connection
   * {@link SqlBackend.fromUrl} opened (a connection of yours stays open).
   */
  override async close(): Promise<void> {
    if (this.leases) {
      for (const h of this.leases.held.values()) {
        clearInterval(h.timer);
        h.drop();
      }
      this.leases.held.clear();
    }
    this.fences.clear();
    await this.shared.close();
    const owned = this.owned;
    this.owned = null;
    if (owned) await owned.close();
  }
}
