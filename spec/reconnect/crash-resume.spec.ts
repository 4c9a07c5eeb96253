import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as mysqlPromise from 'mysql2/promise';
import { Redis } from 'ioredis';
import Database from 'better-sqlite3';
import { FileBackend } from '../../lib/index';
import { testServers } from '../setup/servers';
import { tempDir, TS_NODE } from '../helpers';

/**
 * A real child process whose job state (and, when it fails, whose instance fields) hold a mysql2
 * connection to MariaDB, an ioredis client, a better-sqlite3 database, a write stream and a socket
 * to a TCP server of this test. It crashes (SIGKILL, or a thrown error); the next process resumes
 * and the rebuilt objects work: queries answer, the stream appends, the socket sends.
 */
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'reconnect-job.ts');
const servers = testServers();
const my = new URL(servers.mysqlUrl);
const MYSQL = { host: my.hostname, port: Number(my.port), user: my.username, database: my.pathname.slice(1) };
const PASSWORD = decodeURIComponent(my.password);

interface Child {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the fixture; with `killWhen`, SIGKILLs it once stdout contains that text. */
function runFixture(mode: string, configFile: string, killWhen?: string): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), FIXTURE, mode, configFile], {
      env: { ...process.env, SPEC_MYSQL_PASSWORD: PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Child = { stdout: '', stderr: '', code: null, signal: null };
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.stdout.on('data', (d) => {
      out.stdout += d;
      if (killWhen && out.stdout.includes(killWhen)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d) => (out.stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      Object.assign(out, { code, signal });
      resolve(out);
    });
  });
}

interface World {
  configFile: string;
  config: Record<string, any>;
  received: () => string;
  connections: () => number;
  close: () => Promise<void>;
}

async function world(tag: string): Promise<World> {
  const dir = tempDir(`rc-crash-${tag}-`);
  let data = '';
  let connections = 0;
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => {
    connections++;
    sockets.push(s);
    s.on('data', (d) => (data += d.toString()));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const table = `rc_crash_${tag}_${process.pid}`;
  const admin = await mysqlPromise.createConnection({ ...MYSQL, password: PASSWORD });
  await admin.query(`DROP TABLE IF EXISTS ${table}`);
  await admin.query(`CREATE TABLE ${table} (item INT, who VARCHAR(32))`);
  await admin.end();
  const sqliteFile = path.join(dir, 'items.db');
  const db = new Database(sqliteFile);
  db.exec('CREATE TABLE items (item INTEGER, who TEXT)');
  db.close();
  const redisKey = `rc-crash:${tag}:${process.pid}`;
  const config = {
    stateDir: path.join(dir, 'state'),
    jobName: `reconnect-crash-${tag}`,
    mysql: MYSQL,
    table,
    redis: { host: new URL(servers.redisUrl).hostname, port: Number(new URL(servers.redisUrl).port) },
    redisKey,
    sqliteFile,
    logFile: path.join(dir, 'out.log'),
    tcpPort: (srv.address() as net.AddressInfo).port,
  };
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  return {
    configFile,
    config,
    received: () => data,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
      const a = await mysqlPromise.createConnection({ ...MYSQL, password: PASSWORD });
      await a.query(`DROP TABLE IF EXISTS ${table}`);
      await a.end();
      const r = new Redis(config.redis);
      await r.del(redisKey);
      r.disconnect();
    },
  };
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('live objects survive a real crash', () => {
  it('SIGKILL: the next process resumes with rebuilt objects that work', async () => {
    const w = await world('kill');
    try {
      const first = await runFixture('first-kill', w.configFile, 'ready');
      expect({ signal: first.signal, stderr: first.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
      const stored = fs.readFileSync(new FileBackend({ dir: w.config.stateDir }).location(w.config.jobName), 'utf8');
      expect(stored).toContain('mysql2/promise.Connection');
      expect(stored).not.toContain(PASSWORD);

      const second = await runFixture('resume', w.configFile);
      expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(second.stdout);
      expect(report.startedAt).toBe(3);
      expect(report.frozen).toBeUndefined(); // a killed process captures no fields
      expect(report.state).toEqual({
        mysqlAnswer: 42,
        mysqlRows: 3,
        redisList: ['first-kill:0', 'first-kill:1', 'first-kill:2'],
        sqliteRows: 3,
        streamAppends: true,
        socketSends: true,
      });
      // the stream was reopened in append mode: nothing written before the crash is lost
      expect(fs.readFileSync(w.config.logFile, 'utf8')).toBe(
        'first-kill item 0\nfirst-kill item 1\nfirst-kill item 2\nstate appends\nresume item 3\nresume item 4\n',
      );
      await waitFor(() => w.received().includes('resume:4;'));
      expect(w.received()).toBe('first-kill:0;first-kill:1;first-kill:2;state says hello;resume:3;resume:4;');
      expect(w.connections()).toBe(2);
    } finally {
      await w.close();
    }
  });

  it('a thrown error: state and the frozen instance fields are both rebuilt', async () => {
    const w = await world('throw');
    try {
      const first = await runFixture('first-throw', w.configFile);
      expect({ code: first.code, stdout: first.stdout, stderr: first.stderr }).toEqual({ code: 0, stdout: 'threw: boom at item 2\n', stderr: '' });
      const stored = fs.readFileSync(new FileBackend({ dir: w.config.stateDir }).location(w.config.jobName), 'utf8');
      expect(stored).not.toContain(PASSWORD);

      const second = await runFixture('resume', w.configFile);
      expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(second.stdout);
      const answers = { mysqlAnswer: 42, mysqlRows: 3, redisList: ['first-throw:0', 'first-throw:1', 'first-throw:2'], sqliteRows: 3, streamAppends: true, socketSends: true };
      expect(report.state).toEqual(answers);
      expect(report.frozen).toEqual(answers);
      expect(report.startedAt).toBe(3); // item 2 was checkpointed before the throw
      await waitFor(() => w.received().includes('resume:4;'));
      expect(w.received()).toContain('state says hello;');
      expect(w.received()).toContain('frozen says hello;');
      expect(w.connections()).toBe(4); // the first run's state and fields, the rebuilt state and fields
    } finally {
      await w.close();
    }
  });
});
