/**
 * Fenced SQL writes (issue 13): while a run holds a job's lock, its saves and its final delete
 * apply only while the job's lock row still holds the run's record. A takeover (the row now holds
 * another run's record) or a finished takeover (the row was deleted by the other run's release)
 * makes them write nothing and fail with JobLockedError (`lost`). The run-level test with real
 * processes is split-brain.spec.ts; this one checks each write on every dialect and driver.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import * as mysql from 'mysql2';
import { Pool } from 'pg';
import { knex } from 'knex';
import { SqlBackend, JobLockedError, type LockHolder } from '../../lib/index';
import { lockId } from '../../lib/backends/sql/job-ids';
import { tempDir } from '../helpers';
import { testServers } from '../setup/servers';

const me = (): LockHolder => ({ pid: process.pid, host: os.hostname(), since: Date.now(), startTime: null });
const THIEF = JSON.stringify({ token: 'other-run', pid: 777, host: 'thief.example', since: 0, startTime: null });
let serial = 0;
const dir = tempDir('safe-state-sql-fence-');

interface Target {
  name: string;
  /** a backend on a fresh table, and a way to run raw SQL (`?` placeholders) beside it */
  open(): Promise<{ backend: SqlBackend; sql(text: string, params: unknown[]): Promise<void>; close(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'SQLite (better-sqlite3)',
    async open() {
      const db = new Database(path.join(dir, `db-${serial++}.db`));
      return { backend: new SqlBackend(db, { table: 'fence' }), sql: async (t, p) => void db.prepare(t.replace(/`/g, '"')).run(...p), close: async () => void db.close() };
    },
  },
  {
    name: 'MariaDB (mysql2 pool)',
    async open() {
      const pool = mysql.createPool({ uri: testServers().mysqlUrl, connectionLimit: 2 });
      const table = `fence_${process.pid}_${serial++}`;
      const backend = new SqlBackend(pool, { table });
      return {
        backend,
        sql: (t, p) => new Promise<void>((resolve, reject) => pool.query(t.replace('fence', table), p, (e) => (e ? reject(e) : resolve()))),
        close: async () => (await backend.close(), await new Promise<void>((r) => pool.end(() => r()))),
      };
    },
  },
  {
    name: 'PostgreSQL (pg pool)',
    async open() {
      const pool = new Pool({ connectionString: testServers().postgresUrl, max: 2 });
      const table = `fence_${process.pid}_${serial++}`;
      const backend = new SqlBackend(pool, { table });
      let n = 0;
      return {
        backend,
        sql: async (t, p) => void (await pool.query(t.replace('fence', table).replace(/`/g, '"').replace(/\?/g, () => `$${++n}`), p), (n = 0)),
        close: async () => (await backend.close(), await pool.end()),
      };
    },
  },
  {
    name: 'PostgreSQL (knex)',
    async open() {
      const k = knex({ client: 'pg', connection: testServers().postgresUrl, pool: { min: 0, max: 2 } });
      const table = `fence_${process.pid}_${serial++}`;
      const backend = new SqlBackend(k, { table });
      return { backend, sql: async (t, p) => void (await k.raw(t.replace('fence', table).replace(/`/g, '"'), p as never)), close: async () => (await backend.close(), await k.destroy()) };
    },
  },
];

describe.each(targets)('fenced writes: $name', (target) => {
  it('a run whose lock row was taken over writes nothing more: save and delete fail with JobLockedError (lost), naming the new holder', async () => {
    const { backend, sql, close } = await target.open();
    try {
      const lock = await backend.lock('job', me());
      await backend.save('job', 'mine 1\n'); // the fence holds
      await backend.save('job', 'mine 2\n');
      await sql('UPDATE `fence` SET holder = ? WHERE id = ?', [THIEF, lockId('job')]); // another run took the job over
      await sql('UPDATE `fence` SET data = ? WHERE id LIKE ?', ['theirs\n', 'job:%']);
      for (const write of [() => backend.save('job', 'mine 3\n'), () => backend.delete('job')]) {
        const err = await write().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(JobLockedError);
        expect({ lost: (err as JobLockedError).lost, holder: (err as JobLockedError).holder }).toEqual({ lost: true, holder: { pid: 777, host: 'thief.example', since: 0, startTime: null } });
        expect(await backend.load('job')).toBe('theirs\n');
      }
      await lock.release();
    } finally {
      await close();
    }
  });

  it('a run whose taker has finished (lock row deleted, checkpoint cleared) does not recreate the checkpoint', async () => {
    const { backend, sql, close } = await target.open();
    try {
      const lock = await backend.lock('job', me());
      await backend.save('job', 'mine 1\n');
      await sql('DELETE FROM `fence` WHERE id = ? OR id LIKE ?', [lockId('job'), 'job:%']);
      const err = await backend.save('job', 'mine 2\n').catch((e: unknown) => e);
      expect({ lost: (err as JobLockedError).lost, holder: (err as JobLockedError).holder }).toEqual({ lost: true, holder: null });
      expect(await backend.exists('job')).toBe(false);
      await lock.release();
    } finally {
      await close();
    }
  });

  it('while the fence holds, the delete removes the checkpoint (also a second time: nothing to delete is no error); without a lock, writes are not fenced', async () => {
    const { backend, close } = await target.open();
    try {
      const lock = await backend.lock('job', me());
      await backend.save('job', 'mine\n');
      await backend.delete('job');
      await backend.delete('job');
      expect(await backend.exists('job')).toBe(false);
      await lock.release();
      await backend.save('job', 'unlocked\n');
      expect(await backend.load('job')).toBe('unlocked\n');
      await backend.delete('job');
      expect(await backend.exists('job')).toBe(false);
    } finally {
      await close();
    }
  });
});
