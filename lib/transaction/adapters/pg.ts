import type { AdapterTransaction, BeginContext, TransactionAdapter } from '../adapter';
import { xidLiteral, XID_PREFIX } from '../xid';

/**
 * pg (node-postgres) clients and pools, recognised by shape. A pool's transaction runs on a client
 * checked out with `pool.connect()` (released afterwards, or destroyed when its state is unknown).
 *
 * PostgreSQL answers `COMMIT` in a transaction that a failed statement aborted with the command tag
 * `ROLLBACK` and no error; that is turned into an error here, so a silently rolled-back participant
 * never counts as committed. With `twoPhase`, a branch ends with `PREPARE TRANSACTION` and
 * `COMMIT PREPARED` / `ROLLBACK PREPARED`; recovery reads `pg_prepared_xacts` (the current
 * database's). A server with `max_prepared_transactions = 0` is refused.
 */

interface PgResult {
  command?: string;
  rows: any[];
}
interface PgClient {
  query(sql: string): Promise<PgResult>;
  connect: unknown;
  release?(err?: Error | boolean): void;
  host?: string;
  port?: number;
  database?: string;
  processID?: number | null;
}
interface PgPool {
  connect(): Promise<PgClient>;
  query(sql: string): Promise<PgResult>;
  totalCount: number;
  options?: { host?: string; port?: number; database?: string; connectionString?: string };
}
type PgObject = PgClient | PgPool;

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null;
}

function isPool(v: unknown): v is PgPool {
  return isObj(v) && typeof v.connect === 'function' && typeof v.query === 'function' && typeof v.totalCount === 'number' && typeof v.idleCount === 'number';
}

function isClient(v: unknown): v is PgClient {
  return isObj(v) && typeof v.connect === 'function' && typeof v.query === 'function' && isObj(v.connectionParameters);
}

/** `undefined_object`: no prepared transaction with that id. */
const UNDEFINED_OBJECT = '42704';

function code(e: unknown): string | undefined {
  return isObj(e) && typeof e.code === 'string' ? e.code : undefined;
}

/** Error for a COMMIT or PREPARE that PostgreSQL answered with ROLLBACK (the transaction had failed). */
function abortedError(what: string): Error {
  return Object.assign(new Error(`PostgreSQL rolled the transaction back instead of ${what}: a statement in it had failed (the transaction was aborted)`), { code: '25P02' });
}

async function begin(conn: PgObject, ctx: BeginContext): Promise<AdapterTransaction> {
  const pooled = isPool(conn);
  const client = pooled ? await (conn as PgPool).connect() : (conn as PgClient);
  const xid = ctx.xid === null ? null : xidLiteral(ctx.xid);
  let state: 'active' | 'prepared' | 'ended' = 'active';
  const finish = (broken: boolean) => {
    if (state === 'ended') return;
    state = 'ended';
    if (pooled) client.release?.(broken ? new Error('safe-state: connection state unknown after a failed transaction') : undefined);
  };
  try {
    await client.query('BEGIN');
  } catch (e) {
    finish(true);
    throw e;
  }
  return {
    handle: client,
    async prepare() {
      const r = await client.query(`PREPARE TRANSACTION ${xid}`);
      if (r.command === 'ROLLBACK') {
        finish(false);
        throw abortedError('preparing it');
      }
      state = 'prepared';
    },
    async commit() {
      if (state === 'ended') throw new Error('pg transaction already ended');
      const prepared = state === 'prepared';
      let r: PgResult;
      try {
        r = await client.query(prepared ? `COMMIT PREPARED ${xid}` : 'COMMIT');
      } catch (e) {
        if (prepared) finish(true); // the prepared transaction stays for recovery
        throw e;
      }
      if (!prepared && r.command === 'ROLLBACK') {
        finish(false);
        throw abortedError('committing it');
      }
      finish(false);
    },
    async rollback() {
      if (state === 'ended') return;
      let broken = false;
      try {
        if (state === 'prepared') {
          await client.query(`ROLLBACK PREPARED ${xid}`).catch((e) => {
            if (code(e) !== UNDEFINED_OBJECT) throw e;
          });
        } else await client.query('ROLLBACK');
      } catch (e) {
        broken = true;
        throw e;
      } finally {
        finish(broken);
      }
    },
  };
}

function where(o: { host?: string; port?: number; database?: string } | undefined): string {
  if (!o) return '';
  return ` ${o.host ?? 'localhost'}:${o.port ?? 5432}${o.database ? `/${o.database}` : ''}`;
}

/** The built-in pg adapter. @internal */
export const pgAdapter: TransactionAdapter<PgObject> = {
  name: 'pg',
  matches: (conn): conn is PgObject => isPool(conn) || isClient(conn),
  begin,
  describe(conn) {
    if (isPool(conn)) {
      const o = conn.options;
      return `pg pool${o?.connectionString && !o.host ? ` ${safeUrl(o.connectionString)}` : where(o)}`;
    }
    const c = conn as PgClient;
    return `pg client${where(c)}${c.processID != null ? ` (backend pid ${c.processID})` : ''}`;
  },
  exclusive: (conn) => (isPool(conn) ? null : conn),
  twoPhase: {
    serverId(conn) {
      let o: { host?: string; port?: number | string; database?: string } | undefined = isPool(conn) ? conn.options : (conn as PgClient);
      if (isPool(conn) && o && !o.host && conn.options?.connectionString) {
        try {
          const u = new URL(conn.options.connectionString);
          o = { host: u.hostname, port: u.port, database: decodeURIComponent(u.pathname.slice(1)) };
        } catch {
          return null;
        }
      }
      if (!o?.database) return null; // prepared transactions are listed per database
      return `postgres://${o.host ?? 'localhost'}:${o.port || 5432}/${o.database}`;
    },
    async check(conn) {
      const r = await conn.query('SHOW max_prepared_transactions');
      const n = Number(r.rows[0]?.max_prepared_transactions);
      return n > 0 ? null : `max_prepared_transactions = ${Number.isFinite(n) ? n : '?'} on this PostgreSQL server, so it cannot prepare transactions (set it above 0 in postgresql.conf and restart)`;
    },
    async listPrepared(conn) {
      const r = await conn.query(`SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE '${XID_PREFIX}%'`);
      return r.rows.map((row) => String(row.gid));
    },
    async commitPrepared(conn, xid) {
      try {
        await conn.query(`COMMIT PREPARED ${xidLiteral(xid)}`);
        return true;
      } catch (e) {
        if (code(e) === UNDEFINED_OBJECT) return false;
        throw e;
      }
    },
    async rollbackPrepared(conn, xid) {
      try {
        await conn.query(`ROLLBACK PREPARED ${xidLiteral(xid)}`);
        return true;
      } catch (e) {
        if (code(e) === UNDEFINED_OBJECT) return false;
        throw e;
      }
    },
  },
};

/** A connection string without its password. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return '(connection string)';
  }
}
