/**
 * The command line on the Redis and SQL backends (`--redis`, `--sqlite`, `--mysql`, `--postgres`):
 * checkpoints written by real jobs on the suite's servers are listed, shown and cleared.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RedisBackend, SqlBackend, safeState, transaction, type StateBackend } from '../../lib/index';
import { range, tempDir } from '../helpers';
import { testServers } from '../setup/servers';
import { cli } from './cli-helpers';

interface Case {
  flag: string;
  url: () => string;
  open: (url: string) => StateBackend;
}

const sqliteFile = path.join(tempDir('safe-state-cli-sql-'), 'jobs.db');
const CASES: Case[] = [
  { flag: '--redis', url: () => testServers().redisUrl, open: (u) => RedisBackend.fromUrl(u) },
  { flag: '--sqlite', url: () => sqliteFile, open: (f) => SqlBackend.fromUrl(`sqlite:${f}`) },
  { flag: '--mysql', url: () => testServers().mysqlUrl, open: (u) => SqlBackend.fromUrl(u) },
  { flag: '--postgres', url: () => testServers().postgresUrl, open: (u) => SqlBackend.fromUrl(u) },
];

describe.each(CASES)('safe-state $flag', ({ flag, url, open }) => {
  it('lists, shows and clears a checkpoint written by a job', async () => {
    const cwd = tempDir('safe-state-cli-');
    const backend = open(url());
    const name = `cli ${flag} ${process.pid} ✓`;
    try {
      const job = safeState(async (xs: number[]) => {
        for await (const x of xs) if (x === 2) throw new Error('boom');
      }, { name, backend });
      await expect(job(range(5))).rejects.toThrow('boom');

      const list = await cli(cwd, ['list', flag, url(), '--json']);
      expect(list.code).toBe(0);
      const out = JSON.parse(list.stdout);
      expect(out.backend.type).toBe(flag.slice(2));
      expect(JSON.stringify(out)).not.toContain('safestate-test-pw'); // passwords are never printed
      expect(out.jobs.find((j: { job: string }) => j.job === name)).toMatchObject({ readable: true, done: 2, total: 5, lastFailure: { index: 2, message: 'boom' } });

      const show = await cli(cwd, ['show', name, flag, url()]);
      expect({ code: show.code, stderr: show.stderr }).toEqual({ code: 0, stderr: '' });
      expect(show.stdout).toContain('2/5');

      const clear = await cli(cwd, ['clear', name, flag, url()]);
      expect({ code: clear.code, stderr: clear.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await backend.exists(name)).toBe(false);
    } finally {
      await backend.close();
    }
  });
});

describe('SqlBackend.fromUrl', () => {
  it('opens SQLite, MySQL and PostgreSQL connections of its own, and close() closes them', async () => {
    const file = path.join(tempDir('safe-state-sql-url-'), 'a.db');
    for (const u of [`sqlite:${file}`, testServers().mysqlUrl, testServers().mysqlUrl.replace(/^mysql:/, 'mariadb:'), testServers().postgresUrl]) {
      const b = SqlBackend.fromUrl(u, { table: `from_url_${process.pid}` });
      await b.save('j', 'x\n');
      expect(await b.load('j')).toBe('x\n');
      await b.delete('j');
      await b.close();
      await expect(b.load('j')).rejects.toMatchObject({ code: 'BACKEND_ERROR' }); // closed
    }
    expect(fs.existsSync(file)).toBe(true);
  });

  it('refuses what is not a database URL, and a dialect the URL contradicts', () => {
    for (const u of ['http://x', 'jobs.db', 'sqlite:', '']) expect(() => SqlBackend.fromUrl(u)).toThrow(expect.objectContaining({ option: 'url' }));
    expect(() => SqlBackend.fromUrl('sqlite::memory:', { dialect: 'mysql' })).toThrow(expect.objectContaining({ option: 'dialect' }));
  });

  it('reading never creates the table', async () => {
    const file = path.join(tempDir('safe-state-sql-url-'), 'b.db');
    const b = SqlBackend.fromUrl(`sqlite:${file}`);
    expect(await b.load('j')).toBeNull();
    expect(await b.exists('j')).toBe(false);
    expect(await b.list()).toEqual([]);
    await b.close();
    const Database = require('better-sqlite3');
    const db = new Database(file);
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get().n).toBe(0);
    db.close();
  });
});

describe('the command line on exactly-once jobs (completion records in the database)', () => {
  it('show counts the items committed inside transactions; reset --items makes them run again', async () => {
    const cwd = tempDir('safe-state-cli-');
    const file = path.join(tempDir('safe-state-cli-eo-'), 'eo.db');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(file);
    db.exec('CREATE TABLE effects (item INTEGER)');
    const backend = new SqlBackend(db);
    const ran: number[] = [];
    let failAt = 3;
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) {
        ran.push(x);
        await transaction(db, (tx) => void tx.of(db).prepare('INSERT INTO effects VALUES (?)').run(x));
        if (x === failAt) throw new Error('after the commit');
      }
    }, { name: 'cli-eo', backend });
    try {
      await expect(job(range(6))).rejects.toThrow('after the commit');
      const show = await cli(cwd, ['show', 'cli-eo', '--sqlite', file, '--json']);
      expect(show.code).toBe(0);
      expect(JSON.parse(show.stdout)).toMatchObject({ done: 4, total: 6 }); // item 3 committed before the throw

      const reset = await cli(cwd, ['reset', 'cli-eo', '--items', '0,3', '--sqlite', file]);
      expect({ code: reset.code, stderr: reset.stderr }).toEqual({ code: 0, stderr: '' });
      ran.length = 0;
      failAt = -1;
      await job(range(6));
      expect(ran).toEqual([0, 3, 4, 5]);
    } finally {
      await backend.close();
      db.close();
    }
  });
});
