/**
 * Transactions inside a real @SafeState job over MariaDB and PostgreSQL: an item whose transaction
 * rolled back (the callback threw, or a COMMIT failed) is not marked done when the error leaves the
 * iteration, and runs again on the next run; a body that catches the error and moves on has handled
 * the item.
 */
import * as fs from 'node:fs';
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import { SafeState, transaction, type TransactionOptions } from '../../lib/index';
import { testServers } from '../setup/servers';
import { range, tempDir } from '../helpers';
import { Checker, tableName } from './flavours';

let checker: Checker;
let my: mysqlPromise.Pool;
let pgPool: pg.Pool;
let dir: string;

beforeAll(() => {
  const s = testServers();
  checker = new Checker();
  my = mysqlPromise.createPool({ uri: s.mysqlUrl, connectionLimit: 4 });
  pgPool = new pg.Pool({ connectionString: s.postgresUrl, max: 4 });
  dir = tempDir('safe-state-tx-job-');
});

afterAll(async () => {
  await my?.end();
  await pgPool?.end();
  await checker?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['ordinary commit', {}],
  ['two-phase commit', { twoPhase: true }],
] as const)('a @SafeState job writing MariaDB and PostgreSQL in one transaction per item (%s)', (label, txOptions) => {
  it('leaves an item whose transaction rolled back undone, and runs it again on the next run', async () => {
    const a = tableName('job_my');
    const b = tableName('job_pg');
    await checker.createTable('mysql', a);
    // a unique value that PostgreSQL checks only at COMMIT (or PREPARE): item 4 writes a duplicate
    await checker.createTable('postgres', b, `, u INT, CONSTRAINT ${b}_u UNIQUE (u) DEFERRABLE INITIALLY DEFERRED`);
    const options: TransactionOptions = { ...txOptions, ...('twoPhase' in txOptions ? { decisionLog: `${dir}/decisions` } : {}) };

    class Transfers {
      /** items whose callback throws */
      throwOn = new Set<number>();
      /** items whose error the body catches and moves on from */
      catchOn = new Set<number>();
      /** items that also write a row whose u duplicates item 0's */
      duplicateOn = new Set<number>();
      attempts: number[] = [];
      handled: number[] = [];

      @SafeState({ name: `transfers-${label}`, stateDir: dir })
      async run(items: number[]) {
        for (const id of items) {
          this.attempts.push(id);
          const work = transaction([pgPool, my], options, async (tx) => {
            await tx.of(my).query(`INSERT INTO ${a} (id) VALUES (?)`, [id]);
            await tx.of(pgPool).query(`INSERT INTO ${b} (id, u) VALUES ($1, $1)`, [id]);
            if (this.duplicateOn.has(id)) await tx.of(pgPool).query(`INSERT INTO ${b} (id, u) VALUES ($1, 0)`, [id + 1000]); // item 0 has u = 0: fails at COMMIT
            if (this.throwOn.has(id)) throw new Error(`item ${id} refuses`);
          });
          if (this.catchOn.has(id)) {
            await work.catch(() => this.handled.push(id));
            continue;
          }
          await work;
        }
      }
    }

    // run 1: item 1 fails but the body handles it; item 3's callback throws out of the iteration
    const first = new Transfers();
    first.catchOn.add(1);
    first.throwOn.add(1);
    first.throwOn.add(3);
    await expect(first.run(range(8))).rejects.toThrow('item 3 refuses');
    expect(first.attempts).toEqual([0, 1, 2, 3]);
    expect(first.handled).toEqual([1]);
    const h = SafeState.of(first, 'run');
    let cp = (await h.peekCheckpoint())!;
    expect([0, 1, 2].every((i) => cp.completedIndices.has(i))).toBe(true);
    expect(cp.completedIndices.has(3)).toBe(false);
    expect(cp.lastFailure).toMatchObject({ index: 3, message: 'item 3 refuses' });
    expect(await checker.ids('mysql', a)).toEqual([0, 2]);
    expect(await checker.ids('postgres', b)).toEqual([0, 2]);

    // run 2: item 3 succeeds now; item 4's COMMIT (PREPARE with twoPhase) fails on PostgreSQL,
    // which is first in commit order: nothing of item 4 commits and the error leaves the iteration
    const second = new Transfers();
    second.duplicateOn.add(4);
    await expect(second.run(range(8))).rejects.toMatchObject({ code: '23505' });
    expect(second.attempts).toEqual([3, 4]);
    cp = (await h.peekCheckpoint())!;
    expect(cp.completedIndices.has(3)).toBe(true);
    expect(cp.completedIndices.has(4)).toBe(false);
    expect(await checker.ids('mysql', a)).toEqual([0, 2, 3]);
    expect(await checker.ids('postgres', b)).toEqual([0, 2, 3]);

    // run 3: exactly the undone items run; item 1 (handled by the body) is not retried
    const third = new Transfers();
    await third.run(range(8));
    expect(third.attempts).toEqual([4, 5, 6, 7]);
    expect(await checker.ids('mysql', a)).toEqual([0, 2, 3, 4, 5, 6, 7]);
    expect(await checker.ids('postgres', b)).toEqual([0, 2, 3, 4, 5, 6, 7]);
    expect(await h.peekCheckpoint()).toBeNull(); // complete: cleared
  });
});
