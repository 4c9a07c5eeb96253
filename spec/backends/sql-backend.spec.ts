import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import * as mysql from 'mysql2';
import * as mysqlPromise from 'mysql2/promise';
import { Client, Pool } from 'pg';
import { knex } from 'knex';
import { SqlBackend, safeState, BackendError, InvalidOptionsError, JobLockedError, type LockHolder } from '../../lib/index';
import { range, tempDir } from '../helpers';
import { testServers } from '../setup/servers';

const me = (): LockHolder => ({ pid: process.pid, host: os.hostname(), since: Date.now(), startTime: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let serial = 0;
const table = () => `sb_${process.pid}_${serial++}`;
const dir = tempDir('safe-state-sql-');
const sqliteDb = () => new Database(path.join(dir, `db-${serial++}.db`));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('SqlBackend options', () => {
  const db = new Database(':memory:');
  afterAll(() => db.close());

  it('refuses a table that is not a plain identifier, naming it', () => {
    for (const t of ['bad-name', 'x; DROP TABLE y', 'schema.table', '1abc', '', 'a'.repeat(64), '"quoted"', 'spa ce', 'ü']) {
      const err = thrown(() => new SqlBackend(db, { table: t }));
      expect(err).toBeInstanceOf(InvalidOptionsError);
      expect((err as InvalidOptionsError).option).toBe('table');
      expect((err as Error).message).toContain(JSON.stringify(t));
    }
    expect(new SqlBackend(db, { table: 'A_1' }).table).toBe('A_1');
    expect(new SqlBackend(db).table).toBe('safe_state_checkpoints');
  });

  it('validates the other options, naming each', () => {
    expect(thrown(() => new SqlBackend(db, { dialect: 'oracle' as never }))).toMatchObject({ option: 'dialect' });
    expect(thrown(() => new SqlBackend(db, { timeoutMs: 0 }))).toMatchObject({ option: 'timeoutMs' });
    expect(thrown(() => new SqlBackend(db, { leaseMs: 5 }))).toMatchObject({ option: 'leaseMs' });
    expect(thrown(() => new SqlBackend(db, { tabel: 'x' } as never))).toMatchObject({ option: 'tabel' });
  });

  it('refuses what is not a connection, and a dialect the connection contradicts', () => {
    for (const c of [{}, null, 'jobs.db', 42]) expect(thrown(() => new SqlBackend(c as never))).toMatchObject({ code: 'INVALID_OPTIONS', option: 'conn' });
    expect(thrown(() => new SqlBackend(db, { dialect: 'mysql' }))).toMatchObject({ option: 'dialect' });
    const oracleKnex = Object.assign(() => undefined, { raw: () => undefined, client: { config: { client: 'oracledb' } } });
    expect(thrown(() => new SqlBackend(oracleKnex))).toMatchObject({ option: 'dialect' });
  });

  it('infers the dialect from the connection', async () => {
    const { mysqlUrl, postgresUrl } = testServers();
    const conn = mysql.createConnection(mysqlUrl);
    const pool = mysql.createPool(mysqlUrl);
    const ppool = mysqlPromise.createPool(mysqlUrl);
    const pg = new Client(postgresUrl);
    const pgPool = new Pool({ connectionString: postgresUrl });
    const knexes = [knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true }), knex({ client: 'mysql2', connection: mysqlUrl }), knex({ client: 'pg', connection: postgresUrl })];
    try {
      expect(new SqlBackend(db).dialect).toBe('sqlite');
      expect([conn, pool, ppool].map((c) => new SqlBackend(c).dialect)).toEqual(['mysql', 'mysql', 'mysql']);
      expect([pg, pgPool].map((c) => new SqlBackend(c).dialect)).toEqual(['postgres', 'postgres']);
      expect(knexes.map((k) => new SqlBackend(k).dialect)).toEqual(['sqlite', 'mysql', 'postgres']);
      expect(new SqlBackend(pg, { dialect: 'postgres' }).dialect).toBe('postgres');
    } finally {
      await new Promise((r) => conn.end(r));
      await new Promise((r) => pool.end(r));
      await ppool.end();
      await pgPool.end();
      await Promise.all(knexes.map((k) => k.destroy()));
    }
  });

  it('offers saveSync with better-sqlite3 only', async () => {
    const k = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    const pgPool = new Pool({ connectionString: testServers().postgresUrl });
    expect(typeof new SqlBackend(db).saveSync).toBe('function');
    expect(new SqlBackend(k).saveSync).toBeUndefined();
    expect(new SqlBackend(pgPool).saveSync).toBeUndefined();
    await k.destroy();
    await pgPool.end();
  });
});

describe('SqlBackend tables', () => {
  it('creates its table when missing (SQLite), under the name given', async () => {
    const db = sqliteDb();
    const t = table();
    const b = new SqlBackend(db, { table: t });
    const tables = () => (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name);
    expect(tables()).not.toContain(t);
    await b.save('j', 'x\n');
    expect(tables()).toContain(t);
    const cols = (db.prepare(`PRAGMA table_info("${t}")`).all() as { name: string }[]).map((c) => c.name);
    expect(cols).toEqual(['id', 'job_name', 'data', 'holder', 'expires_at', 'updated_at']);
    const row = db.prepare(`SELECT id, job_name, data FROM "${t}"`).get() as { id: string; job_name: string; data: string };
    expect(row).toEqual({ id: expect.stringMatching(/^job:[0-9a-f]{64}$/), job_name: 'j', data: 'x\n' });
    expect(await new SqlBackend(db, { table: t }).load('j')).toBe('x\n'); // a second backend finds it
    db.close();
  });

  it('creates its table when missing (MySQL and PostgreSQL), also when two backends race to do it', async () => {
    const { mysqlUrl, postgresUrl } = testServers();
    const pool = mysql.createPool(mysqlUrl);
    const pgPool = new Pool({ connectionString: postgresUrl, max: 6 });
    try {
      for (const conn of [pool, pgPool]) {
        const t = table();
        const backends = range(5).map(() => new SqlBackend(conn, { table: t }));
        await Promise.all(backends.map((b, i) => b.save(`job ${i}`, `${i}\n`)));
        expect(await backends[0].list()).toEqual(range(5).map((i) => `job ${i}`));
      }
    } finally {
      await new Promise((r) => pool.end(r));
      await pgPool.end();
    }
  });
});

describe('SqlBackend errors', () => {
  it('reports driver failures as BackendError with the cause', async () => {
    const file = path.join(dir, `ro-${serial++}.db`);
    const rw = new Database(file);
    await new SqlBackend(rw).save('j', 'x\n');
    rw.close();
    const ro = new Database(file, { readonly: true });
    const b = new SqlBackend(ro);
    expect(await b.load('j')).toBe('x\n');
    const err = thrown(() => b.saveSync!('j', 'y\n'));
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toMatch(/sqlite.*cannot save job 'j'.*readonly/i);
    expect(((err as BackendError).cause as { code?: string }).code).toBe('SQLITE_READONLY');
    await expect(b.save('j', 'y\n')).rejects.toBeInstanceOf(BackendError);
    ro.close();
  });

  it('PostgreSQL text cannot hold U+0000: such a save fails with BackendError', async () => {
    const pool = new Pool({ connectionString: testServers().postgresUrl });
    const b = new SqlBackend(pool, { table: table() });
    await expect(b.save('j', 'a\u0000b\n')).rejects.toBeInstanceOf(BackendError);
    await pool.end();
  });

  it('fails fast when nothing listens: mysql2 pool, pg pool, knex', async () => {
    const port = 1; // nothing listens there (a random free port could be taken meanwhile by another test file's server)
    const pool = mysql.createPool({ host: '127.0.0.1', port, user: 'x' });
    const pgPool = new Pool({ host: '127.0.0.1', port, user: 'x' });
    const k = knex({ client: 'pg', connection: { host: '127.0.0.1', port, user: 'x' }, log: { warn: () => undefined } });
    const t0 = Date.now();
    for (const conn of [pool, pgPool, k]) {
      const err = await new SqlBackend(conn).load('x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
    }
    expect(Date.now() - t0).toBeLessThan(3000);
    await new Promise((r) => pool.end(r));
    await pgPool.end();
    await k.destroy();
  });

  it('fails within 5 s by default when the server accepts but never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    const pool = mysql.createPool({ host: '127.0.0.1', port, user: 'x', connectTimeout: 60_000 });
    const pgPool = new Pool({ host: '127.0.0.1', port, user: 'x' });
    const t0 = Date.now();
    const errs = await Promise.all([pool, pgPool].map((c) => new SqlBackend(c).save('x', 'y\n').catch((e: unknown) => e)));
    const took = Date.now() - t0;
    for (const e of errs) {
      expect(e).toBeInstanceOf(BackendError);
      expect((e as Error).message).toContain('no answer within 5000 ms');
    }
    expect(took).toBeGreaterThan(4500);
    expect(took).toBeLessThan(6500);
    for (const s of sockets) s.destroy();
    server.close();
    await new Promise((r) => pool.end(r));
    await pgPool.end().catch(() => undefined);
  }, 20_000);
});

describe('SqlBackend locks on MySQL and PostgreSQL', () => {
  it('the locks live on one connection: a pool of one connection is enough, also for jobs running at once', async () => {
    const { mysqlUrl, postgresUrl } = testServers();
    const pool = mysql.createPool({ uri: mysqlUrl, connectionLimit: 1 });
    const pgPool = new Pool({ connectionString: postgresUrl, max: 1 });
    try {
      for (const conn of [pool, pgPool]) {
        const backend = new SqlBackend(conn, { table: table(), timeoutMs: 2000 });
        const seen: number[][] = [[], []];
        const jobs = [0, 1].map((j) =>
          safeState(async (xs: number[]) => {
            for await (const x of xs) {
              seen[j].push(x);
              await new Promise((r) => setImmediate(r));
            }
          }, { name: `one-connection-${j}`, backend }),
        );
        await Promise.all(jobs.map((job) => job(range(20))));
        expect(seen).toEqual([range(20), range(20)]);
        expect(await backend.list()).toEqual([]);
      }
    } finally {
      await new Promise((r) => pool.end(r));
      await pgPool.end();
    }
  });

  it('another connection gets JobLockedError naming the holder from the lock row', async () => {
    const { mysqlUrl, postgresUrl } = testServers();
    const a = mysql.createConnection(mysqlUrl);
    const b = await mysqlPromise.createConnection(mysqlUrl);
    const c = new Client(postgresUrl);
    const d = new Client(postgresUrl);
    await c.connect();
    await d.connect();
    try {
      for (const [one, two] of [[a, b], [c, d]] as const) {
        const t = table();
        const first = new SqlBackend(one, { table: t });
        const second = new SqlBackend(two, { table: t });
        const holder = { ...me(), pid: 31337, host: 'holder.example' };
        const lock = await first.lock('shared', holder);
        const err = await second.lock('shared', me()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(JobLockedError);
        expect((err as JobLockedError).holder).toMatchObject({ pid: 31337, host: 'holder.example' });
        await lock.release();
        await (await second.lock('shared', me())).release();
      }
    } finally {
      a.destroy();
      await b.end();
      await c.end();
      await d.end();
    }
  });

  it('the same table name in another MySQL database does not share locks', async () => {
    const url = new URL(testServers().mysqlUrl);
    const admin = await mysqlPromise.createConnection(url.toString());
    await admin.query('CREATE DATABASE IF NOT EXISTS safestate_other');
    const other = new URL(url.toString());
    other.pathname = '/safestate_other';
    const c1 = await mysqlPromise.createConnection(url.toString());
    const c2 = await mysqlPromise.createConnection(other.toString());
    try {
      const t = table();
      const l1 = await new SqlBackend(c1, { table: t }).lock('same', me());
      const l2 = await new SqlBackend(c2, { table: t }).lock('same', me());
      await l1.release();
      await l2.release();
    } finally {
      await c1.end();
      await c2.end();
      await admin.end();
    }
  });
});

describe('SqlBackend locks on SQLite (lease rows)', () => {
  const lockRow = (db: Database.Database, t: string) => db.prepare(`SELECT holder, expires_at FROM "${t}" WHERE id LIKE 'lock:%'`).get() as { holder: string; expires_at: number } | undefined;

  it('stores the holder with a token and an expiry, renewed while held, deleted on release', async () => {
    const db = sqliteDb();
    const t = table();
    const b = new SqlBackend(db, { table: t, leaseMs: 1000 });
    const lock = await b.lock('job', me());
    const row = lockRow(db, t)!;
    expect(JSON.parse(row.holder)).toMatchObject({ pid: process.pid, host: os.hostname(), token: expect.any(String) });
    expect(row.expires_at).toBeGreaterThan(Date.now());
    await sleep(1500);
    const later = lockRow(db, t)!;
    expect(later.holder).toBe(row.holder);
    expect(later.expires_at).toBeGreaterThan(Date.now());
    await lock.release();
    expect(lockRow(db, t)).toBeUndefined();
    db.close();
  });

  it('takes over a holder on another host once its lease ran out, and a dead one on this host at once', async () => {
    const db = sqliteDb();
    const t = table();
    const b = new SqlBackend(db, { table: t });
    await b.save('warm-up', 'x\n'); // creates the table
    const insert = db.prepare(`INSERT OR REPLACE INTO "${t}" (id, job_name, holder, expires_at, updated_at) VALUES (?, ?, ?, ?, 0)`);
    const id = (name: string) => (db.prepare(`SELECT 'lock:' || substr(id, 5) AS l FROM "${t}" WHERE job_name = ?`).get(name) as { l: string } | undefined)?.l;
    await b.save('remote', 'x\n');
    await b.save('dead', 'x\n');
    insert.run(id('remote'), 'remote', JSON.stringify({ token: 't', pid: 4242, host: 'elsewhere.example', since: 0, startTime: null }), Date.now() + 700);
    const deadPid = spawnSync('true').pid!;
    insert.run(id('dead'), 'dead', JSON.stringify({ token: 't', pid: deadPid, host: os.hostname(), since: 0, startTime: null }), Date.now() + 60_000);
    await expect(b.lock('remote', me())).rejects.toMatchObject({ code: 'JOB_LOCKED', holder: { pid: 4242, host: 'elsewhere.example' } });
    await (await b.lock('dead', me())).release(); // at once
    await sleep(800);
    await (await b.lock('remote', me())).release();
    // a live holder on this host is never taken over, however old its lease
    insert.run(id('remote'), 'remote', JSON.stringify({ token: 't', pid: 1, host: os.hostname(), since: 0, startTime: null }), 0);
    await expect(b.lock('remote', me())).rejects.toBeInstanceOf(JobLockedError);
    db.close();
  });

  it('saves renew the lease even when the body never lets a timer run (for..of)', async () => {
    const db = sqliteDb();
    const t = table();
    const backend = new SqlBackend(db, { table: t, leaseMs: 1000 });
    let minLeft = Infinity;
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) {
        const until = Date.now() + 100;
        while (Date.now() < until); // 100 ms of synchronous work per item, 2 s in all
        minLeft = Math.min(minLeft, lockRow(db, t)!.expires_at - Date.now());
        void x;
      }
    }, { name: 'blocking', backend });
    await job(range(20));
    expect(minLeft).toBeGreaterThan(0);
    db.close();
  });

  it('a run whose lease was taken over stops at its next save with JobLockedError, writing nothing more', async () => {
    const db = sqliteDb();
    const t = table();
    const backend = new SqlBackend(db, { table: t });
    let stolen = '';
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) {
        if (x === 3) {
          stolen = (db.prepare(`SELECT data FROM "${t}" WHERE id LIKE 'job:%'`).get() as { data: string }).data;
          db.prepare(`UPDATE "${t}" SET holder = ? WHERE id LIKE 'lock:%'`).run(JSON.stringify({ token: 'x', pid: 777, host: 'thief.example', since: 0, startTime: null }));
        }
      }
    }, { name: 'fenced', backend });
    const err = await job(range(10)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobLockedError);
    expect((err as JobLockedError).holder).toMatchObject({ pid: 777, host: 'thief.example' });
    expect((db.prepare(`SELECT data FROM "${t}" WHERE id LIKE 'job:%'`).get() as { data: string }).data).toBe(stolen);
    expect(JSON.parse(lockRow(db, t)!.holder).pid).toBe(777);
    db.close();
  });
});
