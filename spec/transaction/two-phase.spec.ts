/**
 * `{ twoPhase: true }` against the real MariaDB (XA) and PostgreSQL (PREPARE TRANSACTION):
 * all-or-nothing commits, refusals before anything begins, the decision log, and recovery of
 * prepared transactions that dead coordinators left behind.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import knexFactory from 'knex';
import Database from 'better-sqlite3';
import {
  transaction,
  Transaction,
  recoverTransactions,
  registerTransactionAdapter,
  FileDecisionLog,
  InvalidOptionsError,
  type DecisionLog,
  type CommitDecision,
} from '../../lib/index';
import { hostTag, shortHash } from '../../lib/transaction/xid';
import { processStartTime } from '../../lib/backends/lock';
import { startPostgres, stopPostgres, testServers } from '../setup/servers';
import { tempDir } from '../helpers';
import { Checker, PgSession, tableName } from './flavours';

let checker: Checker;
let my: mysqlPromise.Pool;
let pgPool: pg.Pool;
let logDir: string;

beforeAll(() => {
  const s = testServers();
  checker = new Checker();
  my = mysqlPromise.createPool({ uri: s.mysqlUrl, connectionLimit: 6 });
  pgPool = new pg.Pool({ connectionString: s.postgresUrl, max: 6 });
  logDir = tempDir('safe-state-2pc-log-');
});

afterAll(async () => {
  await my?.end();
  await pgPool?.end();
  await checker?.close();
  fs.rmSync(logDir, { recursive: true, force: true });
});

function decisionFiles(dir = logDir): string[] {
  return fs.readdirSync(dir);
}

async function ours(): Promise<string[]> {
  const p = await checker.prepared();
  const tag = shortHash(new FileDecisionLog(logDir).id);
  return [...p.mysql, ...p.postgres].filter((id) => id.slice(12, 18) === tag);
}

describe('two-phase commit', () => {
  it('commits every kind of MySQL/MariaDB and PostgreSQL participant together', async () => {
    const s = testServers();
    const [a, b] = [tableName(), tableName()];
    await checker.createTable('mysql', a);
    await checker.createTable('postgres', b);
    const km = knexFactory({ client: 'mysql2', connection: s.mysqlUrl, pool: { min: 0, max: 2 } });
    const kp = knexFactory({ client: 'pg', connection: s.postgresUrl, pool: { min: 0, max: 2 } });
    const cbConn = mysql.createConnection(s.mysqlUrl);
    const client = new pg.Client(s.postgresUrl);
    await client.connect();
    try {
      const parts = [my, pgPool, km, kp, cbConn, client] as const;
      let id = '';
      await transaction(parts, { twoPhase: true, decisionLog: logDir }, async (tx) => {
        expect(tx.twoPhase).toBe(true);
        id = tx.id;
        await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
        await tx.of(pgPool).query(`INSERT INTO ${b} (id) VALUES (1)`);
        await tx.of(km)(a).insert({ id: 2 });
        await tx.of(kp)(b).insert({ id: 2 });
        await new Promise<void>((res, rej) => tx.of(cbConn).query(`INSERT INTO ${a} (id) VALUES (3)`, (e) => (e ? rej(e) : res())));
        await tx.of(client).query(`INSERT INTO ${b} (id) VALUES (3)`);
      });
      expect(id).toMatch(/^ss2pc-[0-9a-f]{12}-[0-9a-z]+-[0-9a-z]+-[0-9a-z]{8}$/);
      expect(await checker.ids('mysql', a)).toEqual([1, 2, 3]);
      expect(await checker.ids('postgres', b)).toEqual([1, 2, 3]);
      expect(await ours()).toEqual([]);
      expect(decisionFiles()).toEqual([]); // forgotten once every branch committed
      // the connections are usable outside transactions afterwards
      expect((await kp.raw('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await km.destroy();
      await kp.destroy();
      await new Promise((r) => cbConn.end(() => r(undefined)));
      await client.end();
    }
  });

  it('rolls every branch back when the callback throws', async () => {
    const [a, b] = [tableName(), tableName()];
    await checker.createTable('mysql', a);
    await checker.createTable('postgres', b);
    const boom = new Error('boom');
    await expect(
      transaction([my, pgPool], { twoPhase: true, decisionLog: logDir }, async (tx) => {
        await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
        await tx.of(pgPool).query(`INSERT INTO ${b} (id) VALUES (1)`);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await checker.ids('mysql', a)).toEqual([]);
    expect(await checker.ids('postgres', b)).toEqual([]);
    expect(await ours()).toEqual([]);
  });

  it('rolls back the branches already prepared when a later PREPARE fails: nothing commits', async () => {
    const a = tableName();
    await checker.createTable('mysql', a);
    const b = tableName('defer');
    await checker.createTable('postgres', b, `, u INT, CONSTRAINT ${b}_u UNIQUE (u) DEFERRABLE INITIALLY DEFERRED`);
    const err = await transaction([my, pgPool], { twoPhase: true, decisionLog: logDir }, async (tx) => {
      await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
      await tx.of(pgPool).query(`INSERT INTO ${b} (id, u) VALUES (1, 7), (2, 7)`); // fails at PREPARE
    }).catch((e) => e);
    expect(err).toMatchObject({ code: '23505' });
    expect(await checker.ids('mysql', a)).toEqual([]);
    expect(await checker.ids('postgres', b)).toEqual([]);
    expect(await ours()).toEqual([]);
    expect(decisionFiles()).toEqual([]);
  });

  it('refuses to prepare a PostgreSQL transaction that a failed statement aborted', async () => {
    const [a, b] = [tableName(), tableName()];
    await checker.createTable('mysql', a);
    await checker.createTable('postgres', b);
    const err = await transaction([my, pgPool], { twoPhase: true, decisionLog: logDir }, async (tx) => {
      await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
      await tx.of(pgPool).query(`INSERT INTO ${b} (id) VALUES (1)`);
      await tx.of(pgPool).query('SELECT no_such_column').catch(() => undefined);
    }).catch((e) => e);
    expect((err as Error).message).toMatch(/instead of preparing/);
    expect(await checker.ids('mysql', a)).toEqual([]);
    expect(await ours()).toEqual([]);
  });

  it('rolls everything back when the decision cannot be recorded', async () => {
    const [a, b] = [tableName(), tableName()];
    await checker.createTable('mysql', a);
    await checker.createTable('postgres', b);
    const file = new FileDecisionLog(logDir);
    const broken: DecisionLog = {
      id: file.id,
      record: async () => {
        throw new Error('disk full');
      },
      markDone: (t, br) => file.markDone(t, br),
      lookup: (t) => file.lookup(t),
      forget: (t) => file.forget(t),
    };
    await expect(
      transaction([my, pgPool], { twoPhase: true, decisionLog: broken }, async (tx) => {
        await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
        await tx.of(pgPool).query(`INSERT INTO ${b} (id) VALUES (1)`);
      }),
    ).rejects.toThrow('disk full');
    expect(await checker.ids('mysql', a)).toEqual([]);
    expect(await checker.ids('postgres', b)).toEqual([]);
    expect(await ours()).toEqual([]);
  });

  it('records the decision, with every branch, before phase 2 and forgets it after', async () => {
    const file = new FileDecisionLog(logDir);
    const calls: string[] = [];
    let recorded: Omit<CommitDecision, 'done'> | null = null;
    const log: DecisionLog = {
      id: file.id,
      record: async (d) => {
        recorded = d;
        calls.push('record');
        await file.record(d);
        expect(fs.readFileSync(path.join(logDir, `${d.txId}.commit`), 'utf8')).toContain(d.branches[1]!);
        // nothing is committed before the decision exists
        expect(await checker.ids('mysql', a)).toEqual([]);
      },
      markDone: async (t, br) => {
        calls.push(`done ${br.slice(-1)}`);
        await file.markDone(t, br);
      },
      lookup: (t) => file.lookup(t),
      forget: async (t) => {
        calls.push('forget');
        await file.forget(t);
      },
    };
    const a = tableName();
    await checker.createTable('mysql', a);
    const tx = await Transaction.begin([my, pgPool], { twoPhase: true, decisionLog: log });
    await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
    await tx.commit();
    expect(recorded).toMatchObject({ txId: tx.id, branches: [`${tx.id}-0`, `${tx.id}-1`] });
    expect(calls).toEqual(['record', 'done 0', 'done 1', 'forget']);
    expect(decisionFiles()).toEqual([]);
    expect(await checker.ids('mysql', a)).toEqual([1]);
  });

  it('keeps recovery away from a transaction in flight in this process', async () => {
    const a = tableName();
    await checker.createTable('mysql', a);
    const file = new FileDecisionLog(logDir);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atRecord = new Promise<void>((r) => (reached = r));
    const slow: DecisionLog = {
      id: file.id,
      record: async (d) => {
        reached();
        await gate; // every branch is prepared now
        await file.record(d);
      },
      markDone: (t, br) => file.markDone(t, br),
      lookup: (t) => file.lookup(t),
      forget: (t) => file.forget(t),
    };
    let txId = '';
    const running = transaction([my, pgPool], { twoPhase: true, decisionLog: slow }, (tx) => {
      txId = tx.id;
      return tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
    });
    try {
      await atRecord;
      expect((await ours()).length).toBe(2);
      const report = await recoverTransactions([my, pgPool], { decisionLog: logDir, force: true });
      const mine = <T extends { id: string }>(l: T[]) => l.filter((x) => x.id.startsWith(txId));
      expect(mine(report.committed)).toEqual([]);
      expect(mine(report.rolledBack)).toEqual([]);
      expect(mine(report.skipped).map((s) => s.reason)).toEqual(['its transaction is in progress in this process', 'its transaction is in progress in this process']);
    } finally {
      release();
      await running;
    }
    expect(await checker.ids('mysql', a)).toEqual([1]);
    expect(await ours()).toEqual([]);
  });
});

describe('participants that cannot take part', () => {
  let root: string;
  let noPrepUrl: string;
  let sqliteDir: string;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-pg-noprep-'));
    fs.chmodSync(root, 0o755);
    noPrepUrl = await startPostgres(root, undefined, { maxPreparedTransactions: 0 });
    sqliteDir = tempDir();
  }, 120_000);
  afterAll(() => {
    if (root) {
      stopPostgres(root);
      fs.rmSync(root, { recursive: true, force: true });
    }
    fs.rmSync(sqliteDir, { recursive: true, force: true });
  });

  /** A real pg client behind an adapter that counts what it begins. */
  class Counted {
    begins = 0;
    constructor(readonly client: pg.Client) {}
  }

  it('refuses SQLite, PostgreSQL without prepared transactions, duck-typed objects and knex transactions before anything begins', async () => {
    const s = testServers();
    const counted = new Counted(new pg.Client(s.postgresUrl));
    await counted.client.connect();
    const off = registerTransactionAdapter<Counted>({
      name: 'counted pg',
      matches: (c): c is Counted => c instanceof Counted,
      begin: async (c, ctx) => {
        c.begins++;
        await c.client.query('BEGIN');
        return {
          handle: c.client,
          prepare: async () => void (await c.client.query(`PREPARE TRANSACTION '${ctx.xid}'`)),
          commit: async () => void (await c.client.query(ctx.xid ? `COMMIT PREPARED '${ctx.xid}'` : 'COMMIT')),
          rollback: async () => void (await c.client.query('ROLLBACK')),
        };
      },
      twoPhase: { check: async () => null, listPrepared: async () => [], commitPrepared: async () => false, rollbackPrepared: async () => false },
    });
    const db = new Database(path.join(sqliteDir, 'x.sqlite'));
    const kSqlite = knexFactory({ client: 'better-sqlite3', connection: { filename: path.join(sqliteDir, 'k.sqlite') }, useNullAsDefault: true });
    const noPrep = new pg.Pool({ connectionString: noPrepUrl, max: 2 });
    const kNoPrep = knexFactory({ client: 'pg', connection: noPrepUrl, pool: { min: 0, max: 1 } });
    const duckClient = new pg.Client(s.postgresUrl);
    await duckClient.connect();
    const duck = new PgSession(duckClient);
    const kPg = knexFactory({ client: 'pg', connection: s.postgresUrl, pool: { min: 0, max: 2 } });
    try {
      const refused = async (other: unknown, why: RegExp) => {
        let ran = false;
        const err = await transaction([counted, other], { twoPhase: true, decisionLog: logDir }, () => {
          ran = true;
        }).catch((e) => e);
        expect(InvalidOptionsError.is(err)).toBe(true);
        expect(err.option).toBe('twoPhase');
        expect(err.message).toMatch(/participant #1 /);
        expect(err.message).toMatch(why);
        expect(ran).toBe(false);
        expect(counted.begins).toBe(0);
      };
      await refused(db, /#1 better-sqlite3 .*cannot take part in a two-phase commit/);
      await refused(kSqlite, /#1 knex \(better-sqlite3\).*sqlite3 dialect cannot prepare/);
      await refused(noPrep, /#1 pg pool .*max_prepared_transactions = 0/);
      await refused(kNoPrep, /#1 knex \(pg\).*max_prepared_transactions = 0/);
      await refused(duck, /#1 PgSession \(beginTransaction\/commit\/rollback\) cannot take part/);
      await kPg.transaction(async (outer) => {
        await refused(outer, /#1 knex transaction \(pg\).*outer transaction/);
      });
      // and the same participants work together without twoPhase
      await transaction([counted, db, duck], () => undefined);
      expect(counted.begins).toBe(1);
    } finally {
      off();
      db.close();
      await kSqlite.destroy();
      await noPrep.end();
      await kNoPrep.destroy();
      await duckClient.end();
      await kPg.destroy();
      await counted.client.end();
    }
  });
});

describe('recovery', () => {
  let log: FileDecisionLog;
  beforeAll(() => {
    log = new FileDecisionLog(logDir);
  });

  /** A pid that belonged to a process of this host that has exited. */
  function deadPid(): number {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    return Number(r.stdout.toString());
  }

  function txIdFor(pid: number, start: number | null, logId = log.id): string {
    const rand = Math.random().toString(36).slice(2, 10).padEnd(8, '0');
    return `ss2pc-${hostTag()}${shortHash(logId)}-${pid.toString(36)}-${start == null ? 'x' : start.toString(36)}-${rand}`;
  }

  /** Leaves a prepared branch on MariaDB (detached: its connection is closed) and on PostgreSQL. */
  async function leavePrepared(txId: string, a: string, b: string, id: number): Promise<void> {
    const s = testServers();
    const c = await mysqlPromise.createConnection(s.mysqlUrl);
    await c.query(`XA START '${txId}-0'`);
    await c.query(`INSERT INTO ${a} (id) VALUES (${id})`);
    await c.query(`XA END '${txId}-0'`);
    await c.query(`XA PREPARE '${txId}-0'`);
    c.destroy();
    const p = new pg.Client(s.postgresUrl);
    await p.connect();
    await p.query('BEGIN');
    await p.query(`INSERT INTO ${b} (id) VALUES (${id})`);
    await p.query(`PREPARE TRANSACTION '${txId}-1'`);
    await p.end();
  }

  async function prepared(txId: string): Promise<string[]> {
    const p = await checker.prepared();
    return [...p.mysql, ...p.postgres].filter((x) => x.startsWith(txId)).sort();
  }

  it('commits what a dead coordinator decided, rolls back what it did not, leaves live and foreign ones alone', async () => {
    const [a, b] = [tableName(), tableName()];
    await checker.createTable('mysql', a);
    await checker.createTable('postgres', b);
    const decided = txIdFor(deadPid(), null);
    const undecided = txIdFor(deadPid(), null);
    const live = txIdFor(process.ppid, processStartTime(process.ppid));
    const otherLog = txIdFor(deadPid(), null, 'file:/somewhere/else');
    await leavePrepared(decided, a, b, 1);
    await leavePrepared(undecided, a, b, 2);
    await leavePrepared(live, a, b, 3);
    await leavePrepared(otherLog, a, b, 4);
    await log.record({ txId: decided, branches: [`${decided}-0`, `${decided}-1`], servers: [null, null], at: new Date().toISOString() });
    // a half-written decision of a coordinator that died while writing it
    fs.writeFileSync(path.join(logDir, `${undecided}.tmp`), '{"v":1,"tx');

    const report = await recoverTransactions([my, pgPool], { decisionLog: logDir });
    const ids = (l: { id: string }[]) => l.map((x) => x.id).sort();
    expect(ids(report.committed)).toEqual([`${decided}-0`, `${decided}-1`]);
    expect(ids(report.rolledBack)).toEqual([`${undecided}-0`, `${undecided}-1`]);
    expect(report.committed.map((x) => x.participant).sort()).toEqual([expect.stringMatching(/^#0 mysql2/), expect.stringMatching(/^#1 pg pool/)]);
    const skipped = report.skipped.filter((x) => x.id.startsWith(live) || x.id.startsWith(otherLog));
    expect(skipped.map((x) => [x.id.slice(-1), x.reason])).toEqual(
      expect.arrayContaining([
        ['0', `its coordinator (pid ${process.ppid}) is still running`],
        ['1', `its coordinator (pid ${process.ppid}) is still running`],
        ['0', expect.stringMatching(/another decision log/)],
        ['1', expect.stringMatching(/another decision log/)],
      ]),
    );
    expect(await checker.ids('mysql', a)).toEqual([1]);
    expect(await checker.ids('postgres', b)).toEqual([1]);
    expect(await prepared(decided)).toEqual([]);
    expect(await prepared(undecided)).toEqual([]);
    expect(await prepared(live)).toEqual([`${live}-0`, `${live}-1`]);
    expect(decisionFiles()).toEqual([]); // the finished decision and the torn one are gone

    // force: the "live" one is resolved too (no decision: rolled back); the other log's never
    const forced = await recoverTransactions([my, pgPool], { decisionLog: logDir, force: true });
    expect(ids(forced.rolledBack)).toEqual([`${live}-0`, `${live}-1`]);
    expect(await prepared(live)).toEqual([]);
    expect(await prepared(otherLog)).toEqual([`${otherLog}-0`, `${otherLog}-1`]);
    // clean up the other log's leftovers by hand
    await my.query(`XA ROLLBACK '${otherLog}-0'`);
    await pgPool.query(`ROLLBACK PREPARED '${otherLog}-1'`);
  });

  it('the next twoPhase transaction on the same participants resolves leftovers first (their locks would block it)', async () => {
    const s = testServers();
    const [a, b] = [tableName(), tableName()];
    await checker.createTable('mysql', a);
    await checker.createTable('postgres', b);
    const decided = txIdFor(deadPid(), null);
    await leavePrepared(decided, a, b, 1);
    await log.record({ txId: decided, branches: [`${decided}-0`, `${decided}-1`], servers: [null, null], at: new Date().toISOString() });
    // fresh pools: recovery runs once per process and connection
    const my2 = mysqlPromise.createPool({ uri: s.mysqlUrl, connectionLimit: 2 });
    const pg2 = new pg.Pool({ connectionString: s.postgresUrl, max: 2 });
    try {
      await transaction([my2, pg2], { twoPhase: true, decisionLog: logDir }, async (tx) => {
        // the leftover's rows are committed and its locks gone: these updates neither block nor miss
        const [r] = (await tx.of(my2).query(`UPDATE ${a} SET id = 10 WHERE id = 1`)) as unknown as [{ affectedRows: number }];
        expect(r.affectedRows).toBe(1);
        const p = await tx.of(pg2).query(`UPDATE ${b} SET id = 10 WHERE id = 1`);
        expect(p.rowCount).toBe(1);
      });
      expect(await checker.ids('mysql', a)).toEqual([10]);
      expect(await checker.ids('postgres', b)).toEqual([10]);
      expect(await prepared(decided)).toEqual([]);
    } finally {
      await my2.end();
      await pg2.end();
    }
  });

  it('refuses to recover on connections that cannot prepare', async () => {
    const db = new Database(':memory:');
    try {
      await expect(recoverTransactions([my, db], { decisionLog: logDir })).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringMatching(/#1 better-sqlite3/) });
      await expect(recoverTransactions(my, { decisionlog: logDir } as never)).rejects.toMatchObject({ option: 'decisionlog' });
    } finally {
      db.close();
    }
  });
});
