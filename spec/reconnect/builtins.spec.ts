import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import * as mysql from 'mysql2';
import * as mysqlPromise from 'mysql2/promise';
import { Redis } from 'ioredis';
import { knex } from 'knex';
import {
  safeState, MemoryBackend, checkpoint, resumeState, registerCredentials, ReconnectError, UnserializableStateError,
} from '../../lib/index';
import { testServers } from '../setup/servers';
import { tempDir } from '../helpers';

const servers = testServers();
const my = new URL(servers.mysqlUrl);
const MYSQL = { host: my.hostname, port: Number(my.port), user: my.username, database: my.pathname.slice(1) };
const MYSQL_PASSWORD = decodeURIComponent(my.password);
const REDIS = { host: new URL(servers.redisUrl).hostname, port: Number(new URL(servers.redisUrl).port) };

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) {
    try {
      await c();
    } catch {
      /* already closed */
    }
  }
  cleanup = [];
});

function withCredentials(...args: Parameters<typeof registerCredentials>): void {
  cleanup.push(registerCredentials(...args));
}

function withEnv(name: string, value: string): void {
  const before = process.env[name];
  process.env[name] = value;
  cleanup.push(() => {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  });
}

/**
 * Saves `make()` as job state, fails, resumes in a second run and hands the rebuilt state to `use`
 * inside the job body. Answers the stored checkpoint text of the first run.
 */
async function roundTrip<T>(name: string, make: () => T | Promise<T>, use: (resumed: T) => unknown | Promise<unknown>): Promise<string> {
  const backend = new MemoryBackend();
  let text = '';
  let run = 0;
  const job = safeState(
    async () => {
      run++;
      if (run === 1) {
        await checkpoint(await make());
        throw new Error('crash');
      }
      await use(resumeState<T>()!);
    },
    { name, backend, autoIterate: false },
  );
  await expect(job()).rejects.toThrow('crash');
  text = (await backend.load(name))!;
  await job();
  expect(run).toBe(2);
  return text;
}

/** Resumes a checkpoint saved from `make()` and answers the error of the resume. */
async function failedResume(name: string, make: () => unknown | Promise<unknown>, between: () => unknown = () => undefined): Promise<any> {
  const backend = new MemoryBackend();
  let run = 0;
  const job = safeState(
    async () => {
      if (++run === 1) {
        await checkpoint(await make());
        throw new Error('crash');
      }
    },
    { name, backend, autoIterate: false },
  );
  await expect(job()).rejects.toThrow('crash');
  await between();
  return job().catch((e) => e);
}

async function saveError(make: () => unknown): Promise<any> {
  const job = safeState(async () => checkpoint(make()), { name: `save-error-${Math.random()}`, backend: new MemoryBackend(), autoIterate: false });
  return job().catch((e) => e);
}

describe('better-sqlite3 Database', () => {
  it('reopens the same file (read-only flag kept); the data is there', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'data.db');
    const db = new Database(file);
    db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('before')");
    cleanup.push(() => db.close());
    await roundTrip('bs3', () => ({ db, ro: new Database(file, { readonly: true }) }), (s) => {
      cleanup.push(() => s.db.close(), () => s.ro.close());
      expect(s.db).toBeInstanceOf(Database);
      expect(s.db).not.toBe(db);
      expect(s.db.name).toBe(file);
      s.db.prepare("INSERT INTO t VALUES ('after')").run();
      expect(s.db.prepare('SELECT v FROM t ORDER BY rowid').all()).toEqual([{ v: 'before' }, { v: 'after' }]);
      expect(s.ro.readonly).toBe(true);
    });
  });

  it('refuses to resume on a file that vanished (no silent empty database)', async () => {
    const file = path.join(tempDir(), 'gone.db');
    const db = new Database(file);
    cleanup.push(() => db.close());
    const err = await failedResume('bs3-gone', () => db, () => {
      db.close();
      fs.unlinkSync(file);
    });
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.reconnector).toBe('better-sqlite3.Database');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('an in-memory database cannot be saved', async () => {
    const db = new Database(':memory:');
    cleanup.push(() => db.close());
    const err = await saveError(() => ({ cache: db }));
    expect(err).toBeInstanceOf(UnserializableStateError);
    expect(err.message).toMatch(/state\.cache \(Database\).*in-memory/);
  });
});

describe('net.Socket', () => {
  function server(): Promise<{ port: number; received: () => string; connections: () => number; close: () => Promise<void> }> {
    let data = '';
    let connections = 0;
    const sockets: net.Socket[] = [];
    const srv = net.createServer((s) => {
      connections++;
      sockets.push(s);
      s.on('data', (d) => (data += d.toString()));
    });
    return new Promise((resolve) =>
      srv.listen(0, '127.0.0.1', () =>
        resolve({
          port: (srv.address() as net.AddressInfo).port,
          received: () => data,
          connections: () => connections,
          close: () => new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            srv.close(() => r());
          }),
        }),
      ),
    );
  }

  function connect(port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s)).once('error', reject);
    });
  }

  it('reconnects to the same host and port; the new socket sends', async () => {
    const srv = await server();
    cleanup.push(srv.close);
    const sock = await connect(srv.port);
    sock.setEncoding('utf8');
    cleanup.push(() => sock.destroy());
    await roundTrip('sock', () => ({ sock }), async (s) => {
      cleanup.push(() => s.sock.destroy());
      expect(s.sock).toBeInstanceOf(net.Socket);
      expect(s.sock).not.toBe(sock);
      expect(s.sock.remotePort).toBe(srv.port);
      expect(s.sock.readableEncoding).toBe('utf8');
      await new Promise<void>((r) => s.sock.write('hello after resume', () => r()));
    });
    for (let i = 0; i < 100 && !srv.received().includes('hello after resume'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.received()).toBe('hello after resume');
    expect(srv.connections()).toBe(2);
  });

  it('a refused connection fails the resume with ReconnectError', async () => {
    const srv = await server();
    const sock = await connect(srv.port);
    cleanup.push(() => sock.destroy());
    const err = await failedResume('sock-refused', () => sock, srv.close);
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.reconnector).toBe('net.Socket');
    expect(err.cause.code).toBe('ECONNREFUSED');
  });

  it('unconnected and server-side sockets cannot be saved', async () => {
    let err = await saveError(() => ({ client: { socket: new net.Socket() } }));
    expect(err).toBeInstanceOf(UnserializableStateError);
    expect(err.message).toContain('state.client.socket (Socket)');
    const accepted = new Promise<net.Socket>((resolve) => {
      const srv = net.createServer(resolve).listen(0, '127.0.0.1', () => {
        const c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
        cleanup.push(() => c.destroy(), () => srv.close());
      });
    });
    const serverSide = await accepted;
    cleanup.push(() => serverSide.destroy());
    err = await saveError(() => serverSide);
    expect(err.message).toMatch(/accepted by a server/);
  });
});

describe('fs.WriteStream and FileHandle', () => {
  it('a write stream opened with "w" is reopened in append mode: nothing written before is lost', async () => {
    const file = path.join(tempDir(), 'out.log');
    const out = fs.createWriteStream(file); // flags 'w'
    await new Promise<void>((r) => out.write('line 1\n', () => r()));
    cleanup.push(() => out.destroy());
    await roundTrip('ws', () => ({ out }), async (s) => {
      expect(s.out).toBeInstanceOf(fs.WriteStream);
      expect(s.out).not.toBe(out);
      await new Promise<void>((r) => s.out.end('line 2\n', () => r()));
    });
    expect(fs.readFileSync(file, 'utf8')).toBe('line 1\nline 2\n');
  });

  it('a write stream whose directory vanished fails the resume', async () => {
    const dir = tempDir();
    const out = fs.createWriteStream(path.join(dir, 'x.log'));
    await new Promise<void>((r) => out.once('ready', () => r()));
    const err = await failedResume('ws-gone', () => out, async () => {
      out.destroy();
      fs.rmSync(dir, { recursive: true });
    });
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.cause.code).toBe('ENOENT');
  });

  const linux = process.platform === 'linux' ? it : it.skip;
  linux('FileHandles are reopened with their access mode, never truncated', async () => {
    const dir = tempDir();
    const rwFile = path.join(dir, 'rw.bin');
    const logFile = path.join(dir, 'log.txt');
    fs.writeFileSync(rwFile, 'abcdef');
    fs.writeFileSync(logFile, 'one\n');
    const rw = await fs.promises.open(rwFile, 'r+');
    const log = await fs.promises.open(logFile, 'a');
    const ro = await fs.promises.open(rwFile, 'r');
    cleanup.push(() => rw.close(), () => log.close(), () => ro.close());
    const text = await roundTrip('fh', () => ({ rw, log, ro }), async (s) => {
      cleanup.push(() => s.rw.close(), () => s.log.close(), () => s.ro.close());
      await s.rw.write('XY', 0, 'utf8');
      await s.log.write('two\n');
      expect((await s.ro.read(Buffer.alloc(6), 0, 6, 0)).bytesRead).toBe(6);
      await expect(s.ro.write('no')).rejects.toThrow(); // still read-only
    });
    expect(text).toContain(rwFile);
    expect(fs.readFileSync(rwFile, 'utf8')).toBe('XYcdef');
    expect(fs.readFileSync(logFile, 'utf8')).toBe('one\ntwo\n');
  });
});

describe('http and https Agents', () => {
  it('keep their pool settings; the global agents come back as the global agents', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 7, timeout: 1234 });
    cleanup.push(() => agent.destroy());
    await roundTrip('agents', () => ({ agent, g: http.globalAgent, gs: https.globalAgent }), (s) => {
      cleanup.push(() => s.agent.destroy());
      expect(s.agent).toBeInstanceOf(http.Agent);
      expect(s.agent).not.toBe(agent);
      expect(s.agent.maxSockets).toBe(7);
      expect((s.agent as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
      expect(s.g).toBe(http.globalAgent);
      expect(s.gs).toBe(https.globalAgent);
    });
  });

  it('https TLS material is not saved; it comes back from a credentials resolver', async () => {
    const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false, key: 'PRIVATE-KEY-PEM', passphrase: 'agent-passphrase-123' });
    cleanup.push(() => agent.destroy());
    const err = await failedResume('https-missing', () => agent);
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.cause.message).toMatch(/had key, passphrase.*registerCredentials\('https'/);
    withCredentials('https.Agent', () => ({ key: 'PRIVATE-KEY-PEM', passphrase: 'agent-passphrase-123' }));
    const text = await roundTrip('https', () => agent, (a) => {
      const opts = (a as unknown as { options: Record<string, unknown> }).options;
      expect(opts).toMatchObject({ keepAlive: true, rejectUnauthorized: false, key: 'PRIVATE-KEY-PEM', passphrase: 'agent-passphrase-123' });
    });
    expect(text).not.toContain('PRIVATE-KEY-PEM');
    expect(text).not.toContain('agent-passphrase-123');
  });
});

describe('mysql2 (MariaDB)', () => {
  beforeEach(() => withCredentials('mysql2', ({ user }) => (user === MYSQL.user ? { password: MYSQL_PASSWORD } : null)));

  it('callback connection and pool: rebuilt, they answer queries', async () => {
    const conn = mysql.createConnection({ ...MYSQL, password: MYSQL_PASSWORD, dateStrings: true });
    const pool = mysql.createPool({ ...MYSQL, password: MYSQL_PASSWORD, connectionLimit: 3 });
    cleanup.push(() => conn.destroy(), () => pool.end());
    const text = await roundTrip('mysql-cb', () => ({ conn, pool }), async (s) => {
      cleanup.push(() => s.conn.destroy(), () => s.pool.end());
      expect(s.conn).not.toBe(conn);
      const rows = await new Promise<any>((res, rej) => s.conn.query('SELECT 1 + 1 AS n, NOW() AS t', (e, r) => (e ? rej(e) : res(r))));
      expect(rows[0].n).toBe(2);
      expect(typeof rows[0].t).toBe('string'); // dateStrings kept
      const viaPool = await new Promise<any>((res, rej) => s.pool.query('SELECT DATABASE() AS d', (e, r) => (e ? rej(e) : res(r))));
      expect(viaPool[0].d).toBe(MYSQL.database);
      expect((s.pool as unknown as { config: { connectionLimit: number } }).config.connectionLimit).toBe(3);
    });
    expect(text).not.toContain(MYSQL_PASSWORD);
  });

  it('promise connection and pool: rebuilt with the promise API', async () => {
    const conn = await mysqlPromise.createConnection({ ...MYSQL, password: MYSQL_PASSWORD });
    const pool = mysqlPromise.createPool({ ...MYSQL, password: MYSQL_PASSWORD, connectionLimit: 2 });
    cleanup.push(() => conn.end(), () => pool.end());
    const text = await roundTrip('mysql-promise', () => ({ conn, pool }), async (s) => {
      cleanup.push(() => s.conn.end(), () => s.pool.end());
      const [rows] = await s.conn.query('SELECT 40 + 2 AS n');
      expect((rows as any)[0].n).toBe(42);
      const [rows2] = await s.pool.query('SELECT 7 AS n');
      expect((rows2 as any)[0].n).toBe(7);
    });
    expect(text).not.toContain(MYSQL_PASSWORD);
  });

  it('without a resolver the password comes from SAFE_STATE_MYSQL_PASSWORD; without either the resume fails clearly', async () => {
    for (const u of cleanup.splice(0)) await u(); // drop the resolver of beforeEach
    const conn = await mysqlPromise.createConnection({ ...MYSQL, password: MYSQL_PASSWORD });
    cleanup.push(() => conn.end());
    const err = await failedResume('mysql-nocreds', () => conn);
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.reconnector).toBe('mysql2/promise.Connection');
    expect(err.message).toMatch(/had password, which safe-state does not store.*registerCredentials\('mysql2'.*SAFE_STATE_MYSQL_PASSWORD \/ MYSQL_PWD/);
    withEnv('SAFE_STATE_MYSQL_PASSWORD', MYSQL_PASSWORD);
    await roundTrip('mysql-env', () => conn, async (c) => {
      cleanup.push(() => c.end());
      expect(((await c.query('SELECT 1 AS one'))[0] as any)[0].one).toBe(1);
    });
  });

  it('a wrong password fails the resume with the server error as cause', async () => {
    for (const u of cleanup.splice(0)) await u();
    withCredentials('mysql2', () => ({ password: 'wrong-password' }));
    const conn = mysql.createConnection({ ...MYSQL, password: MYSQL_PASSWORD });
    cleanup.push(() => conn.destroy());
    const err = await failedResume('mysql-wrong', () => ({ db: conn }));
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.path).toBe('state.db');
    expect(err.cause.code).toBe('ER_ACCESS_DENIED_ERROR');
  });
});

describe('ioredis', () => {
  it('a client is rebuilt with its options (db, keyPrefix) and answers commands', async () => {
    const client = new Redis({ ...REDIS, db: 3, keyPrefix: 'spec:', maxRetriesPerRequest: 1 });
    cleanup.push(() => client.disconnect());
    await client.set('k', 'v1');
    await roundTrip('redis', () => ({ client }), async (s) => {
      cleanup.push(() => s.client.disconnect());
      expect(s.client).not.toBe(client);
      expect(s.client.status).toBe('ready');
      expect(s.client.options).toMatchObject({ db: 3, keyPrefix: 'spec:', maxRetriesPerRequest: 1 });
      expect(await s.client.get('k')).toBe('v1');
    });
  });

  it('an ACL password comes back from a resolver, or from SAFE_STATE_REDIS_PASSWORD', async () => {
    const admin = new Redis(REDIS);
    cleanup.push(() => admin.disconnect());
    await admin.call('ACL', 'SETUSER', 'spec-user', 'on', '>spec-redis-pw-1', '~*', '+@all');
    const client = new Redis({ ...REDIS, username: 'spec-user', password: 'spec-redis-pw-1' });
    cleanup.push(() => client.disconnect());
    await client.set('acl-key', 'ok');
    const err = await failedResume('redis-nocreds', () => client);
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.message).toMatch(/SAFE_STATE_REDIS_PASSWORD/);
    withCredentials('ioredis', ({ user }) => (user === 'spec-user' ? { password: 'spec-redis-pw-1' } : null));
    const text = await roundTrip('redis-acl', () => client, async (c) => {
      cleanup.push(() => c.disconnect());
      expect(await c.call('ACL', 'WHOAMI')).toBe('spec-user');
      expect(await c.get('acl-key')).toBe('ok');
    });
    expect(text).not.toContain('spec-redis-pw-1');
    for (const u of cleanup.splice(-1)) await u();
    withEnv('SAFE_STATE_REDIS_PASSWORD', 'spec-redis-pw-1');
    await roundTrip('redis-env', () => client, async (c) => {
      cleanup.push(() => c.disconnect());
      expect(await c.call('ACL', 'WHOAMI')).toBe('spec-user');
    });
  });

  it('a client for a server that is gone fails the resume fast', async () => {
    const port = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
    const t0 = Date.now();
    const err = await failedResume('redis-gone', () => client);
    expect(err).toBeInstanceOf(ReconnectError);
    expect(err.cause.code).toBe('ECONNREFUSED');
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('knex', () => {
  it('a mysql2 knex made from a URL with a password is rebuilt without storing it', async () => {
    withCredentials('knex', () => ({ password: MYSQL_PASSWORD }));
    const db = knex({ client: 'mysql2', connection: servers.mysqlUrl, pool: { min: 0, max: 2 } });
    cleanup.push(() => db.destroy());
    const text = await roundTrip('knex-mysql', () => ({ db }), async (s) => {
      cleanup.push(() => s.db.destroy());
      expect(s.db).not.toBe(db);
      const [rows] = await s.db.raw('SELECT 1 + 2 AS n');
      expect(rows[0].n).toBe(3);
    });
    expect(text).not.toContain(MYSQL_PASSWORD);
  });

  it('a better-sqlite3 knex reopens its file', async () => {
    const file = path.join(tempDir(), 'k.db');
    const db = knex({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    cleanup.push(() => db.destroy());
    await db.schema.createTable('t', (t) => t.integer('v'));
    await db('t').insert({ v: 5 });
    await roundTrip('knex-sqlite', () => db, async (k) => {
      cleanup.push(() => k.destroy());
      expect(await k('t').select('v')).toEqual([{ v: 5 }]);
    });
  });

  it('a knex transaction cannot be saved', async () => {
    const db = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    cleanup.push(() => db.destroy());
    const trx = await db.transaction();
    cleanup.push(() => trx.rollback());
    const err = await saveError(() => ({ trx }));
    expect(err).toBeInstanceOf(UnserializableStateError);
    expect(err.message).toMatch(/state\.trx .*knex transaction cannot be reconnected/);
  });
});

describe('no secret reaches the checkpoint', () => {
  it('none of the built-ins writes a password, token or key into the checkpoint text', async () => {
    const pw = 'Sup3r-Secret-Pw!';
    const made: { close(): unknown }[] = [];
    const keep = <T extends object>(o: T, close: (o: T) => unknown) => (made.push({ close: () => close(o) }), o);
    const state = {
      conn: keep(mysql.createConnection({ host: '127.0.0.1', port: 1, user: 'u', password: pw, password2: pw, ssl: { rejectUnauthorized: true, key: pw, ca: 'CA' } }), (c) => c.destroy()),
      pool: keep(mysql.createPool({ host: '127.0.0.1', port: 1, user: 'u', password: pw }), (p) => p.end()),
      ppool: keep(mysqlPromise.createPool({ host: '127.0.0.1', port: 1, user: 'u', password: pw }), (p) => p.end()),
      redis: keep(new Redis({ host: '127.0.0.1', port: 1, username: 'u', password: pw, sentinelPassword: pw, lazyConnect: true, tls: { key: pw, servername: 'x' } }), (r) => r.disconnect()),
      knexUrl: keep(knex({ client: 'pg', connection: `postgres://u:${encodeURIComponent(pw)}@127.0.0.1:1/db?sslpassword=${encodeURIComponent(pw)}` }), (k) => k.destroy()),
      knexObj: keep(knex({ client: 'mysql2', connection: { host: 'h', user: 'u', password: pw, ssl: { key: pw } } }), (k) => k.destroy()),
      agent: keep(new https.Agent({ key: pw, passphrase: pw, pfx: pw }), (a) => a.destroy()),
    };
    (state.conn as unknown as { on(e: string, f: () => void): void }).on('error', () => undefined);
    cleanup.push(() => Promise.all(made.map((m) => m.close())));
    const backend = new MemoryBackend();
    const job = safeState(async () => checkpoint(state), { name: 'no-secrets', backend, autoIterate: false, keepOnSuccess: true });
    await job();
    const text = (await backend.load('no-secrets'))!;
    for (const form of [pw, encodeURIComponent(pw), Buffer.from(pw).toString('base64')]) expect(text).not.toContain(form);
    const cp = (await job.peekCheckpoint())!.state as Record<string, { reconnector: string; meta: any }>;
    expect(Object.fromEntries(Object.entries(cp).map(([k, v]) => [k, v.reconnector]))).toEqual({
      conn: 'mysql2.Connection', pool: 'mysql2.Pool', ppool: 'mysql2/promise.Pool', redis: 'ioredis.Redis', knexUrl: 'knex', knexObj: 'knex', agent: 'https.Agent',
    });
    // what was left out is recorded by name, so a resume can ask for it
    expect(cp.conn.meta).toMatchObject({ secrets: ['password', 'password2'], tls: ['ca', 'key'] });
    expect(cp.redis.meta).toMatchObject({ secrets: ['password', 'sentinelPassword'], tlsMaterial: ['key'] });
    expect(cp.knexUrl.meta.secrets).toEqual(expect.arrayContaining(['password']));
  });
});
