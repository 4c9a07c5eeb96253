import type { AdapterTransaction, BeginContext, TransactionAdapter } from '../adapter';
import { xidLiteral, XID_PREFIX } from '../xid';

/**
 * mysql2 connections and pools, callback or promise API (`mysql2` and `mysql2/promise`), recognised
 * by shape. Control statements always run on the underlying callback connection; the handle keeps
 * the flavour of what was passed in: a promise pool hands out a promise pool connection.
 *
 * With `twoPhase`, a branch is an XA transaction (`XA START` / `XA END` + `XA PREPARE` /
 * `XA COMMIT`), and recovery reads `XA RECOVER`. MariaDB before 10.5 and MySQL before 5.7.7 roll
 * prepared XA transactions back when their connection closes, so they are refused.
 */

interface CoreConnection {
  query(sql: string, cb: (err: Error | null, rows?: unknown) => void): unknown;
  addCommand: unknown;
  beginTransaction: unknown;
  destroy(): void;
  release?(): void;
  threadId?: number | null;
  config?: { host?: string; port?: number; database?: string; socketPath?: string };
}
interface CorePool {
  getConnection(cb: (err: Error | null, conn?: CoreConnection) => void): void;
  query(sql: string, cb: (err: Error | null, rows?: unknown) => void): unknown;
  config: { connectionConfig?: { host?: string; port?: number; database?: string; socketPath?: string } };
}
interface PromiseConnection {
  connection: CoreConnection;
  release?(): void;
}
interface PromisePool {
  pool: CorePool;
  getConnection(): Promise<PromiseConnection>;
}

type Mysql2Object = CoreConnection | CorePool | PromiseConnection | PromisePool;
type Kind = 'connection' | 'promise-connection' | 'pool' | 'promise-pool';

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null;
}

function isCoreConnection(v: unknown): v is CoreConnection {
  return isObj(v) && typeof v.addCommand === 'function' && typeof v.query === 'function' && typeof v.beginTransaction === 'function' && isObj(v.config);
}

function isCorePool(v: unknown): v is CorePool {
  return isObj(v) && typeof v.getConnection === 'function' && typeof v.query === 'function' && isObj(v.config) && isObj(v.config.connectionConfig);
}

function kindOf(v: unknown): Kind | null {
  if (isCoreConnection(v)) return 'connection';
  if (isCorePool(v)) return 'pool';
  if (isObj(v) && isCoreConnection(v.connection) && typeof v.query === 'function') return 'promise-connection';
  if (isObj(v) && isCorePool(v.pool) && typeof v.getConnection === 'function') return 'promise-pool';
  return null;
}

/** Runs one statement through the callback API. */
function run(target: { query(sql: string, cb: (err: Error | null, rows?: unknown) => void): unknown }, sql: string): Promise<any> {
  return new Promise((resolve, reject) => {
    target.query(sql, (err, rows) => (err ? reject(err) : resolve(rows)));
  });
}

function coreOf(v: Mysql2Object, kind: Kind): CoreConnection | CorePool {
  switch (kind) {
    case 'connection':
    case 'pool':
      return v as CoreConnection | CorePool;
    case 'promise-connection':
      return (v as PromiseConnection).connection;
    case 'promise-pool':
      return (v as PromisePool).pool;
  }
}

function where(cfg: { host?: string; port?: number; database?: string; socketPath?: string } | undefined): string {
  if (!cfg) return '';
  const at = cfg.socketPath ?? `${cfg.host ?? 'localhost'}:${cfg.port ?? 3306}`;
  return ` ${at}${cfg.database ? `/${cfg.database}` : ''}`;
}

/** XAER_NOTA: no such XA transaction. */
const XAER_NOTA = 1397;

function errno(e: unknown): number | undefined {
  return isObj(e) && typeof e.errno === 'number' ? e.errno : undefined;
}

async function checkout(conn: Mysql2Object, kind: Kind): Promise<{ handle: unknown; core: CoreConnection; release(broken: boolean): void }> {
  if (kind === 'connection') return { handle: conn, core: conn as CoreConnection, release: () => undefined };
  if (kind === 'promise-connection') return { handle: conn, core: (conn as PromiseConnection).connection, release: () => undefined };
  if (kind === 'pool') {
    const pc = await new Promise<CoreConnection>((resolve, reject) => (conn as CorePool).getConnection((err, c) => (err ? reject(err) : resolve(c!))));
    return { handle: pc, core: pc, release: (broken) => (broken ? pc.destroy() : pc.release?.()) };
  }
  const ppc = await (conn as PromisePool).getConnection();
  return { handle: ppc, core: ppc.connection, release: (broken) => (broken ? ppc.connection.destroy() : ppc.release?.()) };
}

async function begin(conn: Mysql2Object, ctx: BeginContext): Promise<AdapterTransaction> {
  const kind = kindOf(conn)!;
  const { handle, core, release } = await checkout(conn, kind);
  const xid = ctx.xid === null ? null : xidLiteral(ctx.xid);
  try {
    await run(core, xid ? `XA START ${xid}` : 'START TRANSACTION');
  } catch (e) {
    release(true);
    throw e;
  }
  let state: 'active' | 'prepared' | 'ended' = 'active';
  const finish = (broken: boolean) => {
    if (state === 'ended') return;
    state = 'ended';
    release(broken);
  };
  return {
    handle,
    async prepare() {
      await run(core, `XA END ${xid}`);
      await run(core, `XA PREPARE ${xid}`);
      state = 'prepared';
    },
    async commit() {
      if (state === 'ended') throw new Error('mysql2 transaction already ended');
      try {
        await run(core, xid ? (state === 'prepared' ? `XA COMMIT ${xid}` : `XA COMMIT ${xid} ONE PHASE`) : 'COMMIT');
      } catch (e) {
        // a prepared branch stays prepared for recovery; closing the session detaches it from us
        if (state === 'prepared') finish(true);
        throw e;
      }
      finish(false);
    },
    async rollback() {
      if (state === 'ended') return;
      let broken = false;
      try {
        if (!xid) await run(core, 'ROLLBACK');
        else {
          if (state === 'active') await run(core, `XA END ${xid}`).catch(() => undefined); // may already be ended or rolled back by the server
          await run(core, `XA ROLLBACK ${xid}`).catch((e) => {
            if (errno(e) !== XAER_NOTA) throw e;
          });
        }
      } catch (e) {
        broken = true; // the session's state is unknown: never hand it to the next user of the pool
        throw e;
      } finally {
        finish(broken);
      }
    },
  };
}

function versionRefusal(version: string): string | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return null;
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const n = maj * 10000 + min * 100 + patch;
  if (/mariadb/i.test(version)) {
    return n < 100502 ? `MariaDB ${version} rolls prepared XA transactions back when their connection closes (fixed in 10.5.2)` : null;
  }
  return n < 50707 ? `MySQL ${version} rolls prepared XA transactions back when their connection closes (fixed in 5.7.7)` : null;
}

/** Runs a statement on whatever connection the object offers (a pool picks any). */
function runAnywhere(conn: Mysql2Object, sql: string): Promise<any> {
  return run(coreOf(conn, kindOf(conn)!), sql);
}

/** The built-in mysql2 adapter. @internal */
export const mysql2Adapter: TransactionAdapter<Mysql2Object> = {
  name: 'mysql2',
  matches: (conn): conn is Mysql2Object => kindOf(conn) !== null,
  begin,
  describe(conn) {
    const kind = kindOf(conn)!;
    const core = coreOf(conn, kind);
    if (kind === 'pool' || kind === 'promise-pool') return `mysql2 ${kind === 'promise-pool' ? 'promise ' : ''}pool${where((core as CorePool).config.connectionConfig)}`;
    const c = core as CoreConnection;
    return `mysql2 ${kind === 'promise-connection' ? 'promise ' : ''}connection${where(c.config)}${c.threadId != null ? ` (thread ${c.threadId})` : ''}`;
  },
  exclusive(conn) {
    const kind = kindOf(conn)!;
    return kind === 'connection' || kind === 'promise-connection' ? (coreOf(conn, kind) as object) : null;
  },
  twoPhase: {
    serverId(conn) {
      const kind = kindOf(conn)!;
      const core = coreOf(conn, kind);
      const cfg = kind === 'pool' || kind === 'promise-pool' ? (core as CorePool).config.connectionConfig : (core as CoreConnection).config;
      if (!cfg) return null;
      return `mysql://${cfg.socketPath ?? `${cfg.host ?? 'localhost'}:${cfg.port ?? 3306}`}`; // XA transactions are server-wide
    },
    async check(conn) {
      const rows = (await runAnywhere(conn, 'SELECT VERSION() AS v')) as { v: string }[];
      return versionRefusal(String(rows[0]?.v ?? ''));
    },
    async listPrepared(conn) {
      const rows = (await runAnywhere(conn, 'XA RECOVER')) as { gtrid_length: number; bqual_length: number; data: string | Buffer }[];
      const out: string[] = [];
      for (const r of rows) {
        if (Number(r.bqual_length) !== 0) continue;
        const id = String(r.data).slice(0, Number(r.gtrid_length));
        if (id.startsWith(XID_PREFIX)) out.push(id);
      }
      return out;
    },
    async commitPrepared(conn, xid) {
      try {
        await runAnywhere(conn, `XA COMMIT ${xidLiteral(xid)}`);
        return true;
      } catch (e) {
        if (errno(e) === XAER_NOTA) return false;
        throw e;
      }
    },
    async rollbackPrepared(conn, xid) {
      try {
        await runAnywhere(conn, `XA ROLLBACK ${xidLiteral(xid)}`);
        return true;
      } catch (e) {
        if (errno(e) === XAER_NOTA) return false;
        throw e;
      }
    },
  },
};
