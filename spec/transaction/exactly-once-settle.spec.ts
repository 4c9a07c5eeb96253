/**
 * Exactly-once across a COMMIT still in flight: a killed process may have sent its last COMMIT,
 * which the server is still finishing after it freed the process's job lock (the lock lives on
 * another pooled connection). A run that starts must wait for that COMMIT before it folds the
 * completion records, or it would run the item a second time. MySQL/MariaDB: the fold is a locking
 * read; PostgreSQL: each record's transaction holds a shared advisory lock that the fold waits for.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import { SqlBackend, Transaction } from '../../lib/index';
import { testServers } from '../setup/servers';
import { TS_NODE } from '../helpers';
import { tableName } from './flavours';
import { openSoakDatabase } from '../../bench/exactly-once-db';
import type { ExactlyOnceChildConfig } from '../../bench/exactly-once-child';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['mysql', 'postgres'] as const)('the fold of a starting run on %s', (dialect) => {
  let pool: mysqlPromise.Pool | pg.Pool;
  beforeAll(() => {
    pool = dialect === 'mysql' ? mysqlPromise.createPool({ uri: testServers().mysqlUrl, connectionLimit: 4 }) : new pg.Pool({ connectionString: testServers().postgresUrl, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
  });

  it('waits for a transaction still committing a record; a plain read does not', async () => {
    const backend = new SqlBackend(pool as never, { table: tableName('settle') });
    try {
      await backend.save('warm-up', 'x\n'); // the table exists before the transaction
      const tx = await Transaction.begin(pool);
      await backend.addRecord(pool, tx.of(pool), 'job', '5');
      expect(await backend.readRecords('job')).toEqual([]); // not committed: invisible
      let settled = false;
      const waiting = backend.readRecords('job', true).then((r) => ((settled = true), r));
      await sleep(400);
      expect(settled).toBe(false); // waits for the transaction
      await tx.commit();
      expect((await waiting).map((r) => r.record)).toEqual(['5']);
    } finally {
      await backend.close();
    }
  });
});

describe('a killed run whose last COMMIT is still running on PostgreSQL', () => {
  it('the rerun started at once does not repeat the item', async () => {
    const url = testServers().postgresUrl;
    const db = openSoakDatabase('postgres', url);
    const effects = tableName('race_eff');
    const fn = `${effects}_slow`;
    try {
      await db.query(`CREATE TABLE ${effects} (item INTEGER NOT NULL)`);
      // item 5's COMMIT takes 3 s (a deferred trigger: a stand-in for a commit waiting on a
      // synchronous standby or a stalled disk)
      await db.query(`CREATE FUNCTION ${fn}() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$ LANGUAGE plpgsql`);
      await db.query(`CREATE CONSTRAINT TRIGGER ${effects}_t AFTER INSERT ON ${effects} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.item = 5) EXECUTE FUNCTION ${fn}()`);
      const cfg: ExactlyOnceChildConfig = { dialect: 'postgres', where: url, table: tableName('race_ck'), effects, name: 'race', n: 10, mode: 'for-await', workMs: 0 };
      const run = (killOnPhase: string | null) =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), path.resolve(__dirname, '../../bench/exactly-once-child.ts'), JSON.stringify(cfg)], {
            stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
            env: { ...process.env, SAFE_STATE_TEST_PHASE_FD: '3', NODE_OPTIONS: '' },
          });
          let stderr = '';
          child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
          let k = 0;
          child.stdio[3]!.on('data', (b: Buffer) => {
            for (const c of b.toString('latin1')) if (c === 'K' && ++k === 5 && killOnPhase) setTimeout(() => child.kill('SIGKILL'), 1_000); // inside item 5's 3 s COMMIT
          });
          child.on('close', (code) => resolve({ code, stderr }));
        });
      const first = await run('K');
      expect(first.code).toBeNull(); // killed
      const second = await run(null); // at once: item 5's COMMIT is still running on the server
      expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
      await sleep(500);
      const rows = await db.query(`SELECT item, COUNT(*) FROM ${effects} GROUP BY item ORDER BY item`);
      expect(rows.map((r) => [Number(r[0]), Number(r[1])])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => [i, 1]));
    } finally {
      await db.query(`DROP TABLE IF EXISTS ${effects}`).catch(() => undefined);
      await db.query(`DROP FUNCTION IF EXISTS ${fn}()`).catch(() => undefined);
      await db.close();
    }
  }, 60_000);
});
