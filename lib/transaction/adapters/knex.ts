import type { AdapterTransaction, BeginContext, TransactionAdapter } from '../adapter';
import { xidLiteral, XID_PREFIX } from '../xid';

/**
 * knex instances and knex transactions, recognised by shape (`knex.client`, `isTransaction`).
 *
 * - An instance: `tx.of(knex)` is a `Knex.Transaction` from `knex.transaction()` (its own pooled
 *   connection).
 * - A transaction: the participant's transaction is a nested one (`trx.transaction()`), which knex
 *   runs as a savepoint; it commits for good only with the outer transaction, which is the caller's.
 *
 * knex reports a failed COMMIT through the transaction's `executionPromise`, not through
 * `commit()`: both are awaited here. On PostgreSQL, COMMIT is sent as a raw query first, so a
 * transaction that PostgreSQL rolled back after a failed statement (it answers COMMIT with
 * ROLLBACK) is an error, never a success.
 *
 * With `twoPhase` (MySQL/MariaDB and PostgreSQL dialects, instances only): on MySQL the empty
 * transaction knex began is closed and replaced by `XA START` on the same connection; on PostgreSQL
 * the transaction ends with `PREPARE TRANSACTION`. Phase 2 runs on the transaction's connection,
 * then knex's own COMMIT ends it (a no-op there) and gives the connection back to the pool.
 */

interface KnexTrx extends KnexLike {
  isTransaction: true;
  commit(value?: unknown): Promise<unknown>;
  rollback(error?: unknown): Promise<unknown>;
  executionPromise?: Promise<unknown>;
  isCompleted?(): boolean;
}
interface KnexLike {
  (...args: any[]): unknown;
  client: { dialect?: string; driverName?: string; config?: { client?: unknown; connection?: unknown } };
  transaction(config?: object): Promise<KnexTrx>;
  raw(sql: string): Promise<any>;
  isTransaction?: boolean;
}

function isKnex(v: unknown): v is KnexLike {
  return typeof v === 'function' && typeof (v as any).client === 'object' && (v as any).client !== null && typeof (v as any).transaction === 'function' && typeof (v as any).raw === 'function';
}

type Family = 'mysql' | 'postgres' | 'sqlite' | 'other';

function family(k: KnexLike): Family {
  const d = String(k.client.dialect ?? k.client.config?.client ?? '').toLowerCase();
  if (d === 'mysql' || d === 'mysql2' || d === 'mariadb') return 'mysql';
  if (d === 'postgresql' || d === 'postgres' || d === 'pg' || d === 'pgnative') return 'postgres';
  if (d.includes('sqlite')) return 'sqlite';
  return 'other';
}

function rowsOf(result: any, fam: Family): any[] {
  if (fam === 'mysql') return Array.isArray(result) && Array.isArray(result[0]) ? result[0] : [];
  return Array.isArray(result?.rows) ? result.rows : [];
}

/** Waits for the transaction's outcome; knex rejects it when COMMIT / ROLLBACK failed. */
async function outcome(trx: KnexTrx): Promise<void> {
  if (trx.executionPromise) await trx.executionPromise;
}

async function begin(k: KnexLike, ctx: BeginContext): Promise<AdapterTransaction> {
  const fam = family(k);
  const nested = k.isTransaction === true;
  const trx = await k.transaction();
  const xid = ctx.xid === null ? null : xidLiteral(ctx.xid);
  let state: 'active' | 'prepared' | 'ended' = 'active';
  const abandon = async () => {
    // ends knex's transaction whatever the session's state (a no-op ROLLBACK when nothing is open)
    state = 'ended';
    try {
      await trx.rollback();
      await outcome(trx);
    } catch {
      /* the connection is what it is; knex gives it back either way */
    }
  };
  if (xid && fam === 'mysql') {
    try {
      await trx.raw('COMMIT'); // the empty transaction knex began: an XA transaction cannot start inside it
      await trx.raw(`XA START ${xid}`);
    } catch (e) {
      await abandon();
      throw e;
    }
  }
  return {
    handle: trx,
    async prepare() {
      if (fam === 'mysql') {
        await trx.raw(`XA END ${xid}`);
        await trx.raw(`XA PREPARE ${xid}`);
      } else {
        const r = await trx.raw(`PREPARE TRANSACTION ${xid}`);
        if (r?.command === 'ROLLBACK') {
          await abandon();
          throw new Error('PostgreSQL rolled the transaction back instead of preparing it: a statement in it had failed (the transaction was aborted)');
        }
      }
      state = 'prepared';
    },
    async commit() {
      if (state === 'ended') throw new Error('knex transaction already ended');
      if (state === 'prepared') {
        try {
          await trx.raw(fam === 'mysql' ? `XA COMMIT ${xid}` : `COMMIT PREPARED ${xid}`);
        } catch (e) {
          await abandon(); // the prepared transaction stays for recovery
          throw e;
        }
        state = 'ended';
        await trx.commit(); // nothing open any more: knex's COMMIT only releases the connection
        await outcome(trx).catch(() => undefined);
        return;
      }
      if (fam === 'postgres' && !nested) {
        const r = await trx.raw('COMMIT');
        if (r?.command === 'ROLLBACK') {
          await abandon();
          throw new Error('PostgreSQL rolled the transaction back instead of committing it: a statement in it had failed (the transaction was aborted)');
        }
        state = 'ended';
        await trx.commit();
        await outcome(trx).catch(() => undefined);
        return;
      }
      state = 'ended';
      await trx.commit();
      await outcome(trx);
    },
    async rollback() {
      if (state === 'ended') return;
      if (xid) {
        try {
          if (fam === 'mysql') {
            if (state === 'active') await trx.raw(`XA END ${xid}`).catch(() => undefined);
            await trx.raw(`XA ROLLBACK ${xid}`);
          } else if (state === 'prepared') {
            await trx.raw(`ROLLBACK PREPARED ${xid}`);
          }
        } finally {
          await abandon();
        }
        return;
      }
      state = 'ended';
      await trx.rollback();
      await outcome(trx);
    },
  };
}

/** The built-in knex adapter. @internal */
export const knexAdapter: TransactionAdapter<KnexLike> = {
  name: 'knex',
  matches: isKnex,
  begin,
  describe(k) {
    const server = knexAdapter.twoPhase!.serverId!(k);
    return `knex ${k.isTransaction ? 'transaction ' : ''}(${k.client.driverName ?? k.client.dialect ?? 'unknown client'})${server ? ` ${server.replace(/^[a-z]+:\/\//, '')}` : ''}`;
  },
  exclusive: () => null, // an instance checks out a connection per transaction; knex queues nested ones itself
  twoPhase: {
    serverId(k) {
      const fam = family(k);
      let c = k.client.config?.connection as { host?: string; port?: number | string; database?: string; socketPath?: string; connectionString?: string } | string | undefined;
      if (typeof c === 'object' && c && typeof c.connectionString === 'string' && !c.host) c = c.connectionString;
      let o: { host?: string; port?: number | string; database?: string; socketPath?: string };
      if (typeof c === 'string') {
        try {
          const u = new URL(c);
          o = { host: u.hostname, port: u.port, database: decodeURIComponent(u.pathname.slice(1)) };
        } catch {
          return null;
        }
      } else if (typeof c === 'object' && c) o = c;
      else return null; // a function or nothing: unknown
      if (fam === 'mysql') return `mysql://${o.socketPath ?? `${o.host ?? 'localhost'}:${o.port || 3306}`}`;
      if (fam === 'postgres' && o.database) return `postgres://${o.host ?? 'localhost'}:${o.port || 5432}/${o.database}`;
      return null;
    },
    async check(k) {
      if (k.isTransaction) return 'an existing knex transaction commits only with its outer transaction, which is not safe-state\'s to prepare; pass the knex instance';
      const fam = family(k);
      if (fam === 'mysql') return null;
      if (fam !== 'postgres') return `knex with the ${k.client.dialect ?? 'unknown'} dialect cannot prepare transactions (two-phase commit needs MySQL/MariaDB or PostgreSQL)`;
      const r = await k.raw('SHOW max_prepared_transactions');
      const n = Number(rowsOf(r, fam)[0]?.max_prepared_transactions);
      return n > 0 ? null : `max_prepared_transactions = ${Number.isFinite(n) ? n : '?'} on this PostgreSQL server, so it cannot prepare transactions (set it above 0 in postgresql.conf and restart)`;
    },
    async listPrepared(k) {
      const fam = family(k);
      if (fam === 'mysql') {
        const rows = rowsOf(await k.raw('XA RECOVER'), fam) as { gtrid_length: number; bqual_length: number; data: string | Buffer }[];
        return rows.filter((r) => Number(r.bqual_length) === 0).map((r) => String(r.data).slice(0, Number(r.gtrid_length))).filter((id) => id.startsWith(XID_PREFIX));
      }
      const rows = rowsOf(await k.raw(`SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE '${XID_PREFIX}%'`), fam);
      return rows.map((r) => String(r.gid));
    },
    async commitPrepared(k, xid) {
      return resolvePrepared(k, `${family(k) === 'mysql' ? 'XA COMMIT' : 'COMMIT PREPARED'} ${xidLiteral(xid)}`);
    },
    async rollbackPrepared(k, xid) {
      return resolvePrepared(k, `${family(k) === 'mysql' ? 'XA ROLLBACK' : 'ROLLBACK PREPARED'} ${xidLiteral(xid)}`);
    },
  },
};

async function resolvePrepared(k: KnexLike, sql: string): Promise<boolean> {
  try {
    await k.raw(sql);
    return true;
  } catch (e) {
    const err = e as { errno?: unknown; code?: unknown };
    if (err.errno === 1397 || err.code === '42704') return false; // XAER_NOTA / undefined_object
    throw e;
  }
}
