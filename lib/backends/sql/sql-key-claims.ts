import { createHash } from 'node:crypto';
import type { ClaimAnswer, KeyClaims } from '../../idempotency/key-claims';
import type { Rows, SqlDriver } from './sql-driver';
import { driverFor } from './detect-driver';
import type { SqlDialect } from './sql-options';
import type { SqlRunner } from './sql-chunks';
import { isMissingTable, isRetryable } from './sql-chunks';
import { createTables } from './create-tables';
import { keyClaimStatements, keyTableOf, type KeyClaimStatements } from './key-claim-statements';

/** Attempts of a statement that meets deadlocks or a busy SQLite file (processes claiming keys of one table at once). */
const ATTEMPTS = 8;

const hash = (...parts: string[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(Buffer.from(p, 'utf16le')).update('\0');
  return h.digest('hex');
};

/**
 * Per-key claims of {@link SqlBackend} (idempotency at scale, see key-claims.ts): one row per key in
 * `<table>_keys` (created when missing). A claim is an insert that wins once (`ON CONFLICT DO
 * NOTHING` / `ON DUPLICATE KEY UPDATE id = id`), or a takeover `UPDATE` of a lapsed claim or an
 * expired record, both conditioned in the statement; then the row is read back: holding our token
 * (tokens are never reused) proves the claim. Renewals, records and releases are `UPDATE`s and
 * `DELETE`s conditioned on the token and the claimed state (fenced); a record is confirmed the same
 * way (the row holds our token, recorded). On PostgreSQL the statements answer the row they
 * changed (`RETURNING`), which proves the same without the read-back: a new key costs two
 * statements (claim, record) instead of four. Keys and store names are bound as parameters
 * (hashed for the primary key), never spliced into SQL.
 * @internal
 */
export class SqlKeyClaims implements KeyClaims {
  private readonly st: KeyClaimStatements;
  private ready: Promise<void> | null = null;
  /** Whether the key table was made ready by this process. */
  prepared = false;

  constructor(
    dialect: SqlDialect,
    table: string,
    readonly leaseMs: number,
    private readonly exec: SqlRunner,
    /** the backend's own connection (a transaction on it is recorded into synchronously when it answers so) */
    private readonly driver: SqlDriver,
  ) {
    this.st = keyClaimStatements(dialect, keyTableOf(table));
  }

  /** Creates the key table when missing (once; retried after a failure). */
  private ensure(): Promise<void> {
    this.ready ??= createTables(this.exec, this.st.createTable, 'cannot create the key table').then(() => {
      this.prepared = true;
    }).catch((e: unknown) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  /** Runs a statement (after creating the table), again after a deadlock or a busy database. */
  private async run(what: string, sql: string, params: unknown[]): Promise<Rows> {
    await this.ensure();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.exec(what, sql, params, false);
      } catch (e) {
        if (attempt >= ATTEMPTS || !isRetryable(e)) throw e;
        await new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 10 * attempt));
      }
    }
  }

  /** A read: a missing table reads as nothing (reading never creates it). */
  private async look(what: string, sql: string, params: unknown[]): Promise<Rows> {
    try {
      return await this.exec(what, sql, params, true);
    } catch (e) {
      if (isMissingTable(e)) return [];
      throw e;
    }
  }

  private row(key: string, id: string): Promise<Rows> {
    return this.run(`cannot read idempotency key ${JSON.stringify(key)}`, this.st.row, [id]);
  }

  async claim(store: string, key: string, token: string, leaseMs: number): Promise<ClaimAnswer> {
    const id = hash(store, key);
    const what = `cannot claim idempotency key ${JSON.stringify(key)}`;
    const lease = Math.ceil(leaseMs);
    const inserted = await this.run(what, this.st.insert, [id, hash(store), JSON.stringify(key), token, lease]);
    if (this.st.returning && inserted.length === 1) return { kind: 'won' }; // the new row is ours
    const r = (await this.row(key, id))[0];
    if (r && String(r[0]) !== token) {
      const now = Number(r[5]);
      const lapsed = Number(r[1]) === 0 ? Number(r[4]) < now : Number(r[3]) !== 0 && Number(r[3]) <= now;
      if (!lapsed) {
        if (Number(r[1]) === 1) return { kind: 'done', text: text(r[2]) };
        return { kind: 'held', retryInMs: Math.max(1, Number(r[4]) - now) };
      }
      const taken = await this.run(what, this.st.takeover, [token, lease, id]);
      return (await this.took(taken, key, id, token, 0)) ? { kind: 'won' } : { kind: 'held', retryInMs: 1 };
    }
    if (r && Number(r[1]) === 0) return { kind: 'won' }; // our insert's row (read back)
    return { kind: 'held', retryInMs: 1 }; // the row changed meanwhile: look again
  }

  /**
   * Whether a fenced statement took effect: it answered its row (`RETURNING`), or the row read
   * back holds our token in `state`.
   */
  private async took(changed: Rows, key: string, id: string, token: string, state: 0 | 1): Promise<boolean> {
    if (this.st.returning) return changed.length === 1;
    const r = (await this.row(key, id))[0];
    return !!r && String(r[0]) === token && Number(r[1]) === state;
  }

  async renew(store: string, key: string, token: string, leaseMs: number): Promise<boolean> {
    const id = hash(store, key);
    const changed = await this.run(`cannot renew the claim of idempotency key ${JSON.stringify(key)}`, this.st.renew, [Math.ceil(leaseMs), id, token]);
    return this.took(changed, key, id, token, 0);
  }

  async record(store: string, key: string, token: string, value: string, ttlMs: number | undefined): Promise<boolean> {
    const id = hash(store, key);
    const what = `cannot record the result of idempotency key ${JSON.stringify(key)}`;
    const changed = ttlMs === undefined
      ? await this.run(what, this.st.recordForever, [value, id, token])
      : await this.run(what, this.st.recordTtl, [value, Math.max(1, Math.ceil(ttlMs)), id, token]);
    return this.took(changed, key, id, token, 1);
  }

  async recordThrough(participant: unknown, handle: unknown, store: string, key: string, token: string, value: string, ttlMs: number | undefined): Promise<void> {
    const [sql, params] = ttlMs === undefined
      ? [this.st.recordForever, [value, hash(store, key), token]]
      : [this.st.recordTtl, [value, Math.max(1, Math.ceil(ttlMs)), hash(store, key), token]];
    // one connection answering synchronously (better-sqlite3): the transaction is on it already
    if (this.driver.sync && participant === this.driver.identity) this.driver.querySync!(sql, params);
    else await driverFor(handle).query(sql, params);
  }

  async release(store: string, key: string, token: string): Promise<void> {
    await this.run(`cannot release the claim of idempotency key ${JSON.stringify(key)}`, this.st.release, [hash(store, key), token]);
  }

  async read(store: string, key: string): Promise<string | null> {
    await this.ensure(); // the first use prepares the table (not inside a later transaction)
    const rows = await this.look(`cannot read idempotency key ${JSON.stringify(key)}`, this.st.read, [hash(store, key)]);
    return rows.length === 0 ? null : text(rows[0][0]);
  }

  async put(store: string, key: string, value: string, ttlMs: number | undefined): Promise<void> {
    const what = `cannot record idempotency key ${JSON.stringify(key)}`;
    const id = hash(store, key);
    if (ttlMs === undefined) await this.run(what, this.st.putForever, [id, hash(store), JSON.stringify(key), value]);
    else await this.run(what, this.st.putTtl, [id, hash(store), JSON.stringify(key), Math.max(1, Math.ceil(ttlMs)), value]);
  }

  async remove(store: string, key: string): Promise<boolean> {
    const live = (await this.read(store, key)) !== null;
    const rows = await this.look(`cannot delete idempotency key ${JSON.stringify(key)}`, this.st.remove, [hash(store, key)]);
    void rows;
    return live;
  }

  async clear(store: string): Promise<void> {
    await this.look(`cannot clear '${store}'`, this.st.clear, [hash(store)]);
  }
}

function text(v: unknown): string {
  if (v == null) return '';
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}
