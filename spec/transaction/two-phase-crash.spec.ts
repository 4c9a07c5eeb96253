/**
 * The two-phase commit survives SIGKILL: a child process coordinating transactions over MariaDB
 * (mysql2) and PostgreSQL (pg and knex) is killed between PREPARE and COMMIT, at fixed points and
 * at random ones; the rerun must end with every transaction committed on all participants or on
 * none, and no prepared transaction left holding locks.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import { testServers } from '../setup/servers';
import { tempDir, TS_NODE } from '../helpers';
import { Checker, tableName } from './flavours';
import type { TwoPhaseChildConfig } from '../fixtures/two-phase-child';
import { FileDecisionLog } from '../../lib/index';
import { shortHash } from '../../lib/transaction/xid';

const CHILD = path.resolve(__dirname, '../fixtures/two-phase-child.ts');
const REPO = path.resolve(__dirname, '../..');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  phases: string;
  stdout: string;
  stderr: string;
}

/**
 * Runs the child once. `pauseAt` stops the coordinator at that phase for good; `onPhase` sees
 * every phase byte (with the count so far) and may return true to SIGKILL the child right there.
 */
function runChild(cfg: TwoPhaseChildConfig, opts: { pauseAt?: 'P' | 'R' | 'C'; onPhase?: (byte: string, count: number) => boolean | Promise<boolean> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), CHILD, JSON.stringify(cfg)], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, SAFE_STATE_TEST_PHASE_FD: '3', SAFE_STATE_TEST_TX_PAUSE: opts.pauseAt ?? '', NODE_OPTIONS: '' },
    });
    let phases = '';
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(kill, 90_000);
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    let chain = Promise.resolve();
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      for (const byte of chunk.toString('latin1')) {
        phases += byte;
        const count = phases.length;
        chain = chain.then(async () => {
          if (!killed && opts.onPhase && (await opts.onPhase(byte, count))) kill();
        });
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      void chain.then(() => resolve({ code, signal, phases, stdout, stderr }));
    });
  });
}

let checker: Checker;
let logDir: string;

beforeAll(() => {
  checker = new Checker();
  logDir = tempDir('safe-state-2pc-crash-');
});

afterAll(async () => {
  await checker?.close();
  fs.rmSync(logDir, { recursive: true, force: true });
});

async function freshTables(): Promise<[string, string, string]> {
  const t: [string, string, string] = [tableName('xa'), tableName('pgp'), tableName('pgk')];
  await checker.createTable('mysql', t[0]);
  await checker.createTable('postgres', t[1]);
  await checker.createTable('postgres', t[2]);
  return t;
}

function config(tables: [string, string, string], ids: number[], extra: Partial<TwoPhaseChildConfig> = {}): TwoPhaseChildConfig {
  const s = testServers();
  return { mysqlUrl: s.mysqlUrl, postgresUrl: s.postgresUrl, decisionLog: logDir, tables, ids, ...extra };
}

async function idsOf(tables: [string, string, string]): Promise<[number[], number[], number[]]> {
  return [await checker.ids('mysql', tables[0]), await checker.ids('postgres', tables[1]), await checker.ids('postgres', tables[2])];
}

/** safe-state branches of this test's decision log still prepared on the servers. */
async function leftovers(): Promise<string[]> {
  const tag = shortHash(new FileDecisionLog(logDir).id);
  const p = await checker.prepared();
  return [...p.mysql, ...p.postgres].filter((id) => id.slice(12, 18) === tag);
}

/** No lock is held on the tables: updating every row from fresh sessions with short lock timeouts succeeds. */
async function assertNoLocks(tables: [string, string, string]): Promise<void> {
  const s = testServers();
  const my = await mysqlPromise.createConnection(s.mysqlUrl);
  const client = new pg.Client(s.postgresUrl);
  await client.connect();
  try {
    await my.query('SET SESSION innodb_lock_wait_timeout = 2');
    await my.query(`UPDATE ${tables[0]} SET id = id`);
    await client.query("SET lock_timeout = '2s'");
    await client.query(`UPDATE ${tables[1]} SET id = id`);
    await client.query(`UPDATE ${tables[2]} SET id = id`);
  } finally {
    await my.end();
    await client.end();
  }
}

describe('two-phase commit under SIGKILL', () => {
  it('killed with every participant prepared and no decision: the rerun rolls all back', async () => {
    const tables = await freshTables();
    const first = await runChild(config(tables, [1]), { pauseAt: 'P', onPhase: (b) => b === 'P' });
    expect(first.signal).toBe('SIGKILL');
    expect(first.phases).toBe('P');
    expect((await leftovers()).length).toBe(3); // prepared on MariaDB and twice on PostgreSQL
    expect(fs.readdirSync(logDir)).toEqual([]);

    const rerun = await runChild(config(tables, [2]));
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    expect(await idsOf(tables)).toEqual([[2], [2], [2]]);
    expect(await leftovers()).toEqual([]);
    expect(fs.readdirSync(logDir)).toEqual([]);
    await assertNoLocks(tables);
  });

  it('killed after the decision, before any COMMIT: the rerun commits all', async () => {
    const tables = await freshTables();
    const first = await runChild(config(tables, [1]), { pauseAt: 'R', onPhase: (b) => b === 'R' });
    expect(first.signal).toBe('SIGKILL');
    expect(first.phases).toBe('PR');
    expect(await idsOf(tables)).toEqual([[], [], []]);
    expect((await leftovers()).length).toBe(3);
    expect(fs.readdirSync(logDir).filter((f) => f.endsWith('.commit')).length).toBe(1);

    const rerun = await runChild(config(tables, [2]));
    expect(rerun.code).toBe(0);
    expect(await idsOf(tables)).toEqual([[1, 2], [1, 2], [1, 2]]);
    expect(await leftovers()).toEqual([]);
    expect(fs.readdirSync(logDir)).toEqual([]);
    await assertNoLocks(tables);
  });

  it('killed after the first COMMIT: the rerun commits the rest (explicit recoverTransactions)', async () => {
    const tables = await freshTables();
    const first = await runChild(config(tables, [1]), { pauseAt: 'C', onPhase: (b) => b === 'C' });
    expect(first.signal).toBe('SIGKILL');
    expect(first.phases).toBe('PRC');
    expect(await idsOf(tables)).toEqual([[1], [], []]); // MariaDB committed, PostgreSQL still prepared
    expect((await leftovers()).length).toBe(2);

    const rerun = await runChild(config(tables, [], { recoverFirst: true }));
    expect(rerun.code).toBe(0);
    const report = JSON.parse(/recovered (.*)/.exec(rerun.stdout)![1]!);
    // both PostgreSQL branches (pg pool: -1, knex: -2) live on one server: either participant finds both
    expect(report.committed.map((b: { id: string }) => b.id.slice(-2)).sort()).toEqual(['-1', '-2']);
    expect(report.rolledBack).toEqual([]);
    expect(await idsOf(tables)).toEqual([[1], [1], [1]]);
    expect(await leftovers()).toEqual([]);
    expect(fs.readdirSync(logDir)).toEqual([]);
    await assertNoLocks(tables);
  });

  it('killed at random moments of a stream of transactions: each one is on all participants or on none', async () => {
    const tables = await freshTables();
    let next = 1;
    let landings = '';
    for (let round = 0; round < 6; round++) {
      const ids = Array.from({ length: 12 }, (_, i) => next + i);
      next += ids.length;
      // each transaction writes P, R, C, C, C: kill at a random one of them (the child runs on meanwhile)
      const killAt = 1 + Math.floor(Math.random() * ids.length * 5);
      const r = await runChild(config(tables, ids), { onPhase: (_b, n) => n >= killAt });
      landings += r.phases.slice(-1);
      if (r.signal !== 'SIGKILL') expect(r.code).toBe(0);
    }
    const final = await runChild(config(tables, [next]));
    expect(final.code).toBe(0);
    const [a, b, c] = await idsOf(tables);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(a).toContain(next);
    expect(await leftovers()).toEqual([]);
    expect(fs.readdirSync(logDir)).toEqual([]);
    await assertNoLocks(tables);
    // the kills landed at several points (not all after a finished transaction)
    expect(landings.length).toBe(6);
  });
});
