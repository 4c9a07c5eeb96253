/**
 * Split brain (issue 13, adversarial item 1): the holder of a job is SIGSTOPped and loses its lock
 * meanwhile (Redis: its lease runs out; MariaDB and PostgreSQL: the server connection holding its
 * session lock is killed, as an idle timeout or an operator would), another process takes the job
 * over, finishes it and clears it; then the old holder is SIGCONTed. Its next save must lose the
 * fence (JobLockedError, "lost its lock"), so the job's items run at most once more than their
 * number (the item in flight), and the finished job is not recreated.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import * as mysql2 from 'mysql2/promise';
import { Client as PgClient } from 'pg';
import { TS_NODE, tempDir } from '../helpers';
import { testServers } from '../setup/servers';
import { mysql } from '../../lib/backends/sql/dialects/mysql';
import { postgres } from '../../lib/backends/sql/dialects/postgres';
import { checkpointId, lockId } from '../../lib/backends/sql/job-ids';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'fence-child.ts');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Child {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

function start(config: string, label: string): Child {
  const proc = spawn(TS_NODE[0], [...TS_NODE.slice(1), FIXTURE, config, label], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, out: () => out, exited };
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * The scenario, with the storage's part given: A runs the job and is SIGSTOPped at item `stopAt`;
 * `loseLock` makes it lose its lock; B runs the job to its end; A is SIGCONTed. Checks that B
 * succeeded, that A failed with JobLockedError (lost) and that every item ran, at most one twice.
 */
async function splitBrain(cfg: { n: number; name: string } & Record<string, unknown>, stopAt: number, loseLock: () => Promise<void>): Promise<void> {
  const dir = tempDir('safe-state-fence-');
  const effectsFile = path.join(dir, 'effects.txt');
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ ...cfg, effects: effectsFile, itemMs: { A: 10, B: 0 } }));
  const a = start(config, 'A');
  try {
    await until(`A at item ${stopAt}`, () => new RegExp(`item ${stopAt}\n`).test(a.out()));
    a.proc.kill('SIGSTOP');
    await loseLock();
    const b = start(config, 'B');
    const bExit = await b.exited;
    expect({ exit: bExit.code, out: b.out().split('\n').filter((l) => l.startsWith('result')) }).toEqual({ exit: 0, out: ['result ok'] });
    a.proc.kill('SIGCONT');
    const aExit = await a.exited;
    const aResult = a.out().split('\n').find((l) => l.startsWith('result')) ?? '';
    const effects = fs.readFileSync(effectsFile, 'utf8').trim().split('\n');
    // before the fence: A's saves went on (Redis: it took the free lock back; SQL: through the pool
    // or its worker's connection), it ran its remaining items again and succeeded or recreated the job
    expect(effects.length).toBeLessThanOrEqual(cfg.n + 1); // the item A had in flight may run twice
    expect(aResult).toMatch(/^result JOB_LOCKED .*lost its lock/);
    expect(aExit.code).toBe(1);
    expect(new Set(effects.map((l) => l.split(' ')[1])).size).toBe(cfg.n);
  } finally {
    if (a.proc.exitCode === null && a.proc.signalCode === null) {
      a.proc.kill('SIGCONT');
      a.proc.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('a holder stopped past its lease (split brain)', () => {
  it('Redis: the old holder fails with JobLockedError at its next save; items run at most once more; the finished job stays finished', async () => {
    const prefix = `fence:${process.pid}:`;
    const name = 'split brain';
    const cfg = { url: testServers().redisUrl, prefix, name, n: 400, leaseMs: 1_000 };
    // A's lease runs out (A is alive: only the lease frees the job)
    await splitBrain(cfg, 30, () => sleep(cfg.leaseMs + 1_000));
    const raw = new Redis(cfg.url);
    try {
      expect(await raw.exists(`${prefix}job:{${name}}`)).toBe(0); // B's completion stands: nothing recreated
      expect(await raw.exists(`${prefix}lock:{${name}}`)).toBe(0);
    } finally {
      raw.disconnect();
    }
  }, 60_000);

  /** What the SQL tests need of a server: its lock connection killed, and its rows read. */
  interface SqlServer {
    /** kills the server connection that holds the job's session lock, and waits until the lock is free */
    killLockHolder(table: string, job: string): Promise<void>;
    /** ids of the job's rows (checkpoint, lock) still in the table */
    rows(table: string, job: string): Promise<string[]>;
    end(): Promise<void>;
  }

  async function mariadb(): Promise<SqlServer> {
    const c = await mysql2.createConnection(testServers().mysqlUrl);
    const [[scope]] = (await c.query({ sql: 'SELECT DATABASE()', rowsAsArray: true })) as unknown as [[string]];
    const holderOf = async (key: string) => ((await c.query({ sql: 'SELECT IS_USED_LOCK(?)', rowsAsArray: true }, [key])) as unknown as [[[number | null]]])[0][0][0];
    return {
      async killLockHolder(table, job) {
        const key = mysql.lockKey!(scope[0], table, job);
        const id = await holderOf(key);
        if (id == null) throw new Error('nobody holds the lock');
        await c.query(`KILL CONNECTION ${Number(id)}`);
        for (let i = 0; i < 500 && (await holderOf(key)) != null; i++) await sleep(10);
      },
      async rows(table, job) {
        const [r] = (await c.query({ sql: `SELECT id FROM \`${table}\` WHERE id IN (?, ?)`, rowsAsArray: true }, [checkpointId(job), lockId(job)])) as unknown as [[string][]];
        return r.map((x) => x[0]);
      },
      end: () => c.end(),
    };
  }

  async function postgresql(): Promise<SqlServer> {
    const c = new PgClient({ connectionString: testServers().postgresUrl });
    await c.connect();
    const scope = String((await c.query('SELECT current_schema()')).rows[0].current_schema);
    // an int8 advisory lock shows in pg_locks as classid (high 32 bits) and objid (low 32 bits), objsubid 1
    const holderOf = async (key: string) =>
      (await c.query("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND ((classid::bigint << 32) | objid::bigint) = $1::bigint", [key])).rows[0]?.pid as number | undefined;
    return {
      async killLockHolder(table, job) {
        const key = postgres.lockKey!(scope, table, job);
        const pid = await holderOf(key);
        if (pid === undefined) throw new Error('nobody holds the lock');
        await c.query('SELECT pg_terminate_backend($1)', [pid]);
        for (let i = 0; i < 500 && (await holderOf(key)) !== undefined; i++) await sleep(10);
      },
      async rows(table, job) {
        return (await c.query(`SELECT id FROM "${table}" WHERE id = ANY($1)`, [[checkpointId(job), lockId(job)]])).rows.map((r: { id: string }) => r.id);
      },
      end: () => c.end(),
    };
  }

  for (const [db, server, url] of [
    ['MariaDB', mariadb, () => testServers().mysqlUrl],
    ['PostgreSQL', postgresql, () => testServers().postgresUrl],
  ] as const) {
    for (const loop of ['await', 'sync'] as const) {
      it(`${db} (${loop === 'await' ? 'for await' : 'for..of, saves through the blocking worker'}): the holder whose lock connection was killed fails with JobLockedError (lost) at its next save; items run at most once more; the finished job stays finished`, async () => {
        const table = `fence_${db.toLowerCase()}_${loop}_${process.pid}`;
        const name = 'split brain';
        const sql = await server();
        try {
          // A is alive but its server lock is gone with its connection
          await splitBrain({ url: url(), prefix: '', table, name, n: 60, loop, leaseMs: 1_000 }, 10, () => sql.killLockHolder(table, name));
          expect(await sql.rows(table, name)).toEqual([]); // B's completion stands: nothing recreated
        } finally {
          await sql.end();
        }
      }, 60_000);
    }
  }
});
