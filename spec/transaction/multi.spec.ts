/**
 * Transactions over several real databases: commit order, partial commits, failures while
 * beginning, refused inputs, user adapters, knex and SQLite savepoints, the commit hooks.
 */
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import knexFactory, { type Knex } from 'knex';
import Database from 'better-sqlite3';
import {
  transaction,
  Transaction,
  PartialCommitError,
  InvalidOptionsError,
  registerTransactionAdapter,
  type TransactionHandle,
} from '../../lib/index';
import { addTransactionHook } from '../../lib/transaction/hooks';
import { testServers } from '../setup/servers';
import { Checker, tableName } from './flavours';

let checker: Checker;
let my: mysqlPromise.Pool;
let pgPool: pg.Pool;
let sqlite: Database.Database;

beforeAll(() => {
  const s = testServers();
  checker = new Checker();
  my = mysqlPromise.createPool({ uri: s.mysqlUrl, connectionLimit: 4 });
  pgPool = new pg.Pool({ connectionString: s.postgresUrl, max: 4 });
  sqlite = new Database(checker.sqliteFile);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
});

afterAll(async () => {
  sqlite?.close();
  await my?.end();
  await pgPool?.end();
  await checker?.close();
});

/** A PostgreSQL table whose unique constraint is only checked at COMMIT (so COMMIT itself fails). */
async function deferredPgTable(): Promise<string> {
  const t = tableName('defer');
  await checker.createTable('postgres', t, `, u INT, CONSTRAINT ${t}_u UNIQUE (u) DEFERRABLE INITIALLY DEFERRED`);
  return t;
}

async function failingPgWrites(h: pg.PoolClient, t: string): Promise<void> {
  await h.query(`INSERT INTO ${t} (id, u) VALUES (1, 7), (2, 7)`); // fine until COMMIT
}

describe('several participants', () => {
  it('commits every participant, in order', async () => {
    const [a, b, c] = [tableName(), tableName(), tableName()];
    await checker.createTable('mysql', a);
    await checker.createTable('postgres', b);
    await checker.createTable('sqlite', c);
    const seen: string[] = [];
    const off = addTransactionHook({ afterCommit: (tx) => seen.push(`commit ${tx.participants.length}`) });
    try {
      await transaction([my, pgPool, sqlite], async (tx) => {
        await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
        await tx.of(pgPool).query(`INSERT INTO ${b} (id) VALUES (1)`);
        tx.of(sqlite).prepare(`INSERT INTO ${c} (id) VALUES (1)`).run();
      });
    } finally {
      off();
    }
    expect(seen).toEqual(['commit 3']);
    expect(await checker.ids('mysql', a)).toEqual([1]);
    expect(await checker.ids('postgres', b)).toEqual([1]);
    expect(await checker.ids('sqlite', c)).toEqual([1]);
  });

  it('throws PartialCommitError listing what committed and what rolled back when a later commit fails', async () => {
    const a = tableName();
    await checker.createTable('mysql', a);
    const b = await deferredPgTable();
    const c = tableName();
    await checker.createTable('sqlite', c);
    let err: unknown;
    try {
      await transaction([my, pgPool, sqlite], async (tx) => {
        await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
        await failingPgWrites(tx.of(pgPool), b);
        tx.of(sqlite).prepare(`INSERT INTO ${c} (id) VALUES (1)`).run();
      });
    } catch (e) {
      err = e;
    }
    expect(PartialCommitError.is(err)).toBe(true);
    const p = err as PartialCommitError;
    expect(p.code).toBe('PARTIAL_COMMIT');
    expect(p.committed).toEqual([expect.stringMatching(/^#0 mysql2 promise pool 127\.0\.0\.1:\d+\/safestate$/)]);
    expect(p.rolledBack).toEqual([expect.stringMatching(/^#1 pg pool/), expect.stringMatching(/^#2 better-sqlite3 /)]);
    expect(p.pending).toEqual([]);
    expect((p.cause as { code?: string }).code).toBe('23505'); // the unique violation found at COMMIT
    expect(p.message).toMatch(/committed \[#0 mysql2.*\], rolled back \[#1 pg pool.*, #2 better-sqlite3.*\]/);
    expect(await checker.ids('mysql', a)).toEqual([1]);
    expect(await checker.ids('postgres', b)).toEqual([]);
    expect(await checker.ids('sqlite', c)).toEqual([]);
  });

  it('rolls everything back and throws the commit error itself when the first commit fails', async () => {
    const a = await deferredPgTable();
    const b = tableName();
    await checker.createTable('mysql', b);
    const tx = await Transaction.begin([pgPool, my]);
    await failingPgWrites(tx.of(pgPool), a);
    await tx.of(my).query(`INSERT INTO ${b} (id) VALUES (1)`);
    await expect(tx.commit()).rejects.toMatchObject({ code: '23505' });
    expect(tx.state).toBe('rolled back');
    expect(await checker.ids('mysql', b)).toEqual([]);
  });

  it('a SQLite commit that fails (deferred foreign key) after MariaDB committed is a partial commit', async () => {
    const a = tableName();
    await checker.createTable('mysql', a);
    const parent = tableName('parent');
    const child = tableName('child');
    sqlite.exec(`CREATE TABLE ${parent} (id INT PRIMARY KEY); CREATE TABLE ${child} (id INT PRIMARY KEY, p INT REFERENCES ${parent}(id) DEFERRABLE INITIALLY DEFERRED)`);
    const err = await transaction([my, sqlite], async (tx) => {
      await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`);
      tx.of(sqlite).prepare(`INSERT INTO ${child} (id, p) VALUES (1, 99)`).run();
    }).catch((e) => e);
    expect(err).toBeInstanceOf(PartialCommitError);
    expect((err as PartialCommitError).rolledBack).toEqual([expect.stringMatching(/^#1 better-sqlite3/)]);
    expect(sqlite.inTransaction).toBe(false);
    expect(sqlite.prepare(`SELECT count(*) AS n FROM ${child}`).get()).toEqual({ n: 0 });
  });

  it('never counts a PostgreSQL transaction that a failed statement aborted as committed', async () => {
    const a = tableName();
    await checker.createTable('postgres', a);
    const k = knexFactory({ client: 'pg', connection: testServers().postgresUrl, pool: { min: 0, max: 2 } });
    try {
      for (const conn of [pgPool, k] as const) {
        const err = await transaction(conn, async (tx) => {
          const h = tx.of(conn) as pg.PoolClient | Knex.Transaction;
          const q = (sql: string) => ('isTransaction' in h ? h.raw(sql) : (h as pg.PoolClient).query(sql));
          await q(`INSERT INTO ${a} (id) VALUES (1)`);
          await q('SELECT no_such_column').catch(() => undefined); // caught: the transaction is now aborted
        }).catch((e) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(/rolled the transaction back instead of committing/);
        expect(await checker.ids('postgres', a)).toEqual([]);
      }
    } finally {
      await k.destroy();
    }
  });

  it('rolls back the participants already begun when a later one cannot begin', async () => {
    const a = tableName();
    await checker.createTable('mysql', a);
    const conn = await mysqlPromise.createConnection(testServers().mysqlUrl);
    const dead = new pg.Client(testServers().postgresUrl);
    await dead.connect();
    await dead.end(); // BEGIN on it fails
    try {
      await expect(transaction([conn, dead], () => undefined)).rejects.toThrow();
      // #0 began and was rolled back: its gate is open and it is not inside a transaction
      await transaction(conn, (tx) => tx.of(conn).query(`INSERT INTO ${a} (id) VALUES (5)`));
      expect(await checker.ids('mysql', a)).toEqual([5]);
    } finally {
      await conn.end();
    }
  });

  it('lets the callback end the transaction itself', async () => {
    const a = tableName();
    await checker.createTable('postgres', a);
    const r = await transaction(pgPool, async (tx) => {
      await tx.of(pgPool).query(`INSERT INTO ${a} (id) VALUES (1)`);
      await tx.rollback();
      return 'rolled back by hand';
    });
    expect(r).toBe('rolled back by hand');
    expect(await checker.ids('postgres', a)).toEqual([]);
  });
});

describe('inputs', () => {
  it('refuses an unsupported object with a TypeError listing what is supported', async () => {
    const err = await transaction([pgPool, { query() {} }], () => 1).catch((e) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toMatch(/participant #1 \(Object\) is not a supported connection/);
    for (const what of ['mysql2 connections and pools', 'knex', 'better-sqlite3', 'pg clients and pools', 'beginTransaction\\(\\)/commit\\(\\)/rollback\\(\\)', 'registerTransactionAdapter']) {
      expect(err.message).toMatch(new RegExp(what));
    }
    await expect(transaction([], () => 1)).rejects.toThrow(TypeError);
    await expect(transaction(null, () => 1)).rejects.toThrow(TypeError);
    await expect(transaction([pgPool, pgPool], () => 1)).rejects.toThrow(/same object/);
    const pc = await mysqlPromise.createConnection(testServers().mysqlUrl);
    try {
      await expect(transaction([pc, (pc as unknown as { connection: unknown }).connection], () => 1)).rejects.toThrow(/same database session/);
    } finally {
      await pc.end();
    }
  });

  it('refuses unknown or mistyped options with InvalidOptionsError naming them', async () => {
    const e1 = await transaction(pgPool, { twophase: true } as never, () => 1).catch((e) => e);
    expect(InvalidOptionsError.is(e1)).toBe(true);
    expect(e1.option).toBe('twophase');
    const e2 = await transaction(pgPool, () => 1, { twoPhase: 'yes' } as never).catch((e) => e);
    expect(e2.option).toBe('twoPhase');
  });
});

describe('registerTransactionAdapter', () => {
  /** A small driver of our own: statements over a better-sqlite3 database. */
  class Store {
    log: string[] = [];
    constructor(readonly db: Database.Database) {}
    run(sql: string): void {
      this.log.push(sql);
      this.db.exec(sql);
    }
  }

  it('adds a kind of connection, tried before the built-in adapters, and can be removed', async () => {
    const t = tableName();
    sqlite.exec(`CREATE TABLE ${t} (id INT PRIMARY KEY)`);
    const store = new Store(sqlite);
    await expect(transaction(store, () => 1)).rejects.toThrow(TypeError);
    const off = registerTransactionAdapter<Store>({
      name: 'store',
      matches: (c): c is Store => c instanceof Store,
      begin: async (s) => {
        s.run('BEGIN');
        return { handle: s, commit: async () => s.run('COMMIT'), rollback: async () => s.run('ROLLBACK') };
      },
    });
    try {
      await transaction(store, (tx) => tx.of(store).run(`INSERT INTO ${t} VALUES (1)`));
      await transaction(store, (tx) => {
        tx.of(store).run(`INSERT INTO ${t} VALUES (2)`);
        throw new Error('no');
      }).catch(() => undefined);
      expect(store.log).toEqual(['BEGIN', `INSERT INTO ${t} VALUES (1)`, 'COMMIT', 'BEGIN', `INSERT INTO ${t} VALUES (2)`, 'ROLLBACK']);
      expect(sqlite.prepare(`SELECT id FROM ${t}`).all()).toEqual([{ id: 1 }]);

      // first match wins, registered before built-in: this one takes better-sqlite3 databases over
      const seen: string[] = [];
      const off2 = registerTransactionAdapter<Database.Database>({
        name: 'sqlite-deferred',
        matches: (c): c is Database.Database => c instanceof Database,
        begin: async (db) => {
          seen.push('begin');
          db.exec('BEGIN DEFERRED');
          return { handle: db, commit: async () => void db.exec('COMMIT'), rollback: async () => void db.exec('ROLLBACK') };
        },
      });
      await transaction(sqlite, (tx) => void tx.of(sqlite).exec(`INSERT INTO ${t} VALUES (3)`));
      expect(seen).toEqual(['begin']);
      off2();
      const err = await transaction(store, () => 1, { twoPhase: true }).catch((e) => e);
      expect(err).toMatchObject({ code: 'INVALID_OPTIONS', option: 'twoPhase', message: expect.stringMatching(/#0 store cannot take part/) });
    } finally {
      off();
    }
    await expect(transaction(store, () => 1)).rejects.toThrow(/registerTransactionAdapter/);
  });

  it('checks the adapter it is given', () => {
    expect(() => registerTransactionAdapter({ name: '', matches: () => true, begin: async () => ({}) as never } as never)).toThrow(TypeError);
    expect(() => registerTransactionAdapter({ name: 'x', matches: () => true } as never)).toThrow(/begin/);
    expect(() => registerTransactionAdapter({ name: 'x', matches: () => true, begin: async () => ({}) as never, twoPhase: { check: async () => null } } as never)).toThrow(/listPrepared/);
  });
});

describe('savepoints', () => {
  it('an existing knex transaction as participant gets a savepoint', async () => {
    const t = tableName();
    await checker.createTable('postgres', t);
    const k = knexFactory({ client: 'pg', connection: testServers().postgresUrl, pool: { min: 0, max: 2 } });
    try {
      await k.transaction(async (outer) => {
        await outer(t).insert({ id: 1 });
        await transaction(outer, async (tx) => {
          const inner = tx.of(outer);
          expect(inner).not.toBe(outer);
          expect(inner.isTransaction).toBe(true);
          await inner(t).insert({ id: 2 });
          throw new Error('undo the savepoint only');
        }).catch(() => undefined);
        await transaction([outer, pgPool], async (tx) => {
          await tx.of(outer)(t).insert({ id: 3 });
        });
        expect((await outer(t).select('id').orderBy('id')).map((r) => r.id)).toEqual([1, 3]);
        expect(await checker.ids('postgres', t)).toEqual([]); // nothing is committed before the outer transaction
      });
      expect(await checker.ids('postgres', t)).toEqual([1, 3]);
    } finally {
      await k.destroy();
    }
  });

  it('a better-sqlite3 database inside a transaction of its own gets a savepoint', async () => {
    const t = tableName();
    sqlite.exec(`CREATE TABLE ${t} (id INT PRIMARY KEY)`);
    sqlite.exec('BEGIN');
    sqlite.exec(`INSERT INTO ${t} VALUES (1)`);
    await transaction(sqlite, (tx) => void tx.of(sqlite).exec(`INSERT INTO ${t} VALUES (2)`));
    await transaction(sqlite, (tx) => {
      tx.of(sqlite).exec(`INSERT INTO ${t} VALUES (3)`);
      throw new Error('no');
    }).catch(() => undefined);
    expect(sqlite.inTransaction).toBe(true);
    sqlite.exec('COMMIT');
    expect(sqlite.prepare(`SELECT id FROM ${t} ORDER BY id`).all()).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe('commit hooks (the seam of exactly-once completion)', () => {
  it('beforeCommit writes through tx.of() inside the transaction; a throwing hook rolls everything back', async () => {
    const a = tableName();
    const marks = tableName('marks');
    await checker.createTable('mysql', a);
    await checker.createTable('mysql', marks);
    let n = 0;
    const events: string[] = [];
    const off = addTransactionHook({
      afterBegin: () => events.push('begin'),
      beforeCommit: async (tx) => {
        if (!tx.has(my)) return;
        await tx.of(my).query(`INSERT INTO ${marks} (id) VALUES (?)`, [++n]);
        if (n === 2) throw new Error('hook refuses');
      },
      afterCommit: () => events.push('commit'),
      afterRollback: () => events.push('rollback'),
    });
    try {
      await transaction(my, (tx) => tx.of(my).query(`INSERT INTO ${a} (id) VALUES (1)`));
      await expect(transaction(my, (tx) => tx.of(my).query(`INSERT INTO ${a} (id) VALUES (2)`))).rejects.toThrow('hook refuses');
      await transaction(my, async (tx) => {
        await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (3)`);
        throw new Error('body fails');
      }).catch(() => undefined);
    } finally {
      off();
    }
    expect(events).toEqual(['begin', 'commit', 'begin', 'rollback', 'begin', 'rollback']);
    expect(await checker.ids('mysql', a)).toEqual([1]);
    expect(await checker.ids('mysql', marks)).toEqual([1]);
  });
});

describe('commit hooks: afterBegin', () => {
  it('a throwing afterBegin rolls the new transaction back and frees its connection', async () => {
    const a = tableName();
    sqlite.exec(`CREATE TABLE ${a} (id INT PRIMARY KEY)`);
    const off = addTransactionHook({
      afterBegin: () => {
        throw new Error('not now');
      },
    });
    try {
      await expect(transaction(sqlite, (tx) => void tx.of(sqlite).exec(`INSERT INTO ${a} VALUES (1)`))).rejects.toThrow('not now');
    } finally {
      off();
    }
    expect(sqlite.inTransaction).toBe(false);
    await transaction(sqlite, (tx) => void tx.of(sqlite).exec(`INSERT INTO ${a} VALUES (2)`));
    expect(sqlite.prepare(`SELECT id FROM ${a}`).all()).toEqual([{ id: 2 }]);
  });
});

// compile-time: tx.of() hands out the driver's own handle types
async function typeChecks(tx: Transaction, k: Knex, pp: mysqlPromise.Pool, pgp: pg.Pool, c: pg.Client): Promise<void> {
  const kt: Knex.Transaction = tx.of(k);
  const mc: mysqlPromise.PoolConnection = tx.of(pp);
  const pc: pg.PoolClient = tx.of(pgp);
  const cc: pg.Client = tx.of(c);
  const h: TransactionHandle<Database.Database> = sqlite;
  void [kt, mc, pc, cc, h];
}
void typeChecks;
