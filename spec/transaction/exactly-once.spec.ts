/**
 * Exactly-once items (SPEC §8) in one process, over every connection kind a SqlBackend and a
 * transaction both take: when the job's SqlBackend uses the very connection, pool or knex object a
 * transaction takes part with, each item's completion is a record row written inside that
 * transaction. A rolled-back item leaves no record; committed items are done even before the
 * engine's own save (the crash cases are in exactly-once-soak.spec.ts); records are folded into the
 * checkpoint on the next run and deleted with it. Also `@Idempotent({ key })` results recorded
 * inside the caller's transaction (SPEC §7).
 */
import * as path from 'node:path';
import { Idempotent, IdempotencyCache, SqlBackend, concurrently, safeState, transaction, type Transaction } from '../../lib/index';
import { Checker, makeFlavours, tableName, type Flavour } from './flavours';

let checker: Checker;
let flavours: Flavour[];
const backends: SqlBackend[] = [];

beforeAll(async () => {
  checker = new Checker();
  flavours = await makeFlavours(checker); // the duck-typed one is no SqlBackend connection: unused here
});

afterAll(async () => {
  for (const b of backends) await b.close();
  for (const f of flavours ?? []) await f.close();
  await checker?.close();
});

const NAMES = [
  'mysql2 callback connection', 'mysql2 promise connection', 'mysql2 callback pool', 'mysql2 promise pool',
  'knex (mysql2)', 'knex (pg)', 'knex (better-sqlite3)', 'better-sqlite3', 'pg client', 'pg pool',
];

describe.each(NAMES)('%s shared by the job backend and the transaction', (name) => {
  const flavour = () => flavours.find((f) => f.name === name)!;

  it('commits each item with its completion record; a rolled-back item stays undone; the next run folds and clears the records', async () => {
    const f = flavour();
    const effects = tableName('eo');
    await checker.createTable(f.engine, effects);
    const backend = new SqlBackend(f.conn as never, { table: tableName('ck') });
    let failAt = 2;
    const job = safeState(
      async (items: number[]) => {
        for await (const i of items) {
          await transaction(f.conn, async (tx) => {
            await f.insert(tx.of(f.conn), effects, i);
            if (i === failAt) throw new Error(`item ${i} failed`);
          });
        }
      },
      { name: `eo-${name}`, backend },
    );
    await expect(job([0, 1, 2, 3])).rejects.toThrow('item 2 failed');
    expect(await checker.ids(f.engine, effects)).toEqual([0, 1]);
    // one record per committed item, none for the rolled-back one
    const records = await backend.readRecords(job.jobName);
    expect(records.map((r) => r.record).sort()).toEqual(['0', '1']);
    expect([...(await job.peekCheckpoint())!.completedIndices]).toEqual([0, 1]);

    failAt = -1;
    await job([0, 1, 2, 3]); // a repeated item would fail on the primary key
    expect(await checker.ids(f.engine, effects)).toEqual([0, 1, 2, 3]);
    expect(await backend.readRecords(job.jobName)).toEqual([]);
    expect(await backend.exists(job.jobName)).toBe(false);
    await backend.close();
  }, 60_000);
});

describe('exactly-once: when it applies', () => {
  const f = () => flavours.find((x) => x.name === 'pg pool')!;

  it('counts an item done once its transaction committed, even when the body fails after it', async () => {
    const effects = tableName('eo_after');
    await checker.createTable('postgres', effects);
    const backend = new SqlBackend(f().conn as never, { table: tableName('ck') });
    let failAfter = true;
    const job = safeState(
      async (items: number[]) => {
        for await (const i of items) {
          await transaction(f().conn, (tx) => f().insert(tx.of(f().conn), effects, i));
          if (failAfter && i === 1) throw new Error('after the commit');
        }
      },
      { name: 'eo-after-commit', backend },
    );
    backends.push(backend);
    await expect(job([0, 1, 2])).rejects.toThrow('after the commit');
    const cp = (await job.peekCheckpoint())!;
    expect([...cp.completedIndices]).toEqual([0, 1]);
    expect(cp.lastFailure?.index).toBe(1);
    failAfter = false;
    await job([0, 1, 2]);
    expect(await checker.ids('postgres', effects)).toEqual([0, 1, 2]);
  });

  it('writes a record per item under concurrently(), on the pool the items share', async () => {
    const effects = tableName('eo_conc');
    await checker.createTable('postgres', effects);
    const backend = new SqlBackend(f().conn as never, { table: tableName('ck') });
    let seen = 0;
    const job = safeState(
      async (items: number[]) =>
        concurrently(items, 3, async (i) => {
          await transaction(f().conn, (tx) => f().insert(tx.of(f().conn), effects, i));
          if (++seen === 5) throw new Error('stop after five');
        }),
      { name: 'eo-concurrently', backend },
    );
    backends.push(backend);
    await expect(job([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])).rejects.toThrow('stop after five');
    const committed = await checker.ids('postgres', effects);
    expect((await backend.readRecords(job.jobName)).map((r) => Number(r.record)).sort((a, b) => a - b)).toEqual(committed);
    expect([...(await job.peekCheckpoint())!.completedIndices].sort((a, b) => a - b)).toEqual(committed);
    seen = -1000;
    await job([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await checker.ids('postgres', effects)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('with twoPhase across MariaDB and PostgreSQL, the completion row is prepared and committed with both', async () => {
    const my = flavours.find((x) => x.name === 'mysql2 promise pool')!;
    const a = tableName('eo_2pc_my');
    const b = tableName('eo_2pc_pg');
    await checker.createTable('mysql', a);
    await checker.createTable('postgres', b);
    const backend = new SqlBackend(f().conn as never, { table: tableName('ck') });
    backends.push(backend);
    const decisionLog = path.join(checker.sqliteDir, 'decisions');
    let failAt = 2;
    const job = safeState(
      async (items: number[]) => {
        for await (const i of items) {
          await transaction([my.conn, f().conn], { twoPhase: true, decisionLog }, async (tx) => {
            await my.insert(tx.of(my.conn), a, i);
            await f().insert(tx.of(f().conn), b, i);
            if (i === failAt) throw new Error('abort');
          });
        }
      },
      { name: 'eo-two-phase', backend },
    );
    await expect(job([0, 1, 2, 3])).rejects.toThrow('abort');
    expect((await backend.readRecords(job.jobName)).map((r) => r.record).sort()).toEqual(['0', '1']);
    failAt = -1;
    await job([0, 1, 2, 3]);
    expect(await checker.ids('mysql', a)).toEqual([0, 1, 2, 3]);
    expect(await checker.ids('postgres', b)).toEqual([0, 1, 2, 3]);
  });

  it('makes no progress save of its own for an item whose completion committed with it', async () => {
    const effects = tableName('eo_saves');
    await checker.createTable('postgres', effects);
    class Counting extends SqlBackend {
      saves = 0;
      override save(job: string, data: string): Promise<void> {
        if (job.startsWith('eo-saves')) this.saves++;
        return super.save(job, data);
      }
    }
    const run = async (completesItem: boolean) => {
      const backend = new Counting(f().conn as never, { table: tableName('ck') });
      backends.push(backend);
      const items = Array.from({ length: 60 }, (_, i) => 1000 * (completesItem ? 1 : 2) + i);
      await safeState(async (xs: number[]) => {
        for await (const i of xs) await transaction(f().conn, { completesItem }, (tx) => f().insert(tx.of(f().conn), effects, i));
      }, { name: `eo-saves-${completesItem}`, backend })(items);
      return backend.saves;
    };
    const exactlyOnce = await run(true);
    const atLeastOnce = await run(false);
    expect(atLeastOnce).toBeGreaterThanOrEqual(60); // one save per item (saveEvery 1)
    expect(exactlyOnce).toBeLessThanOrEqual(1 + 16); // the run's first save, and the items whose fingerprint is recorded
  });

  it('writes no record with completesItem: false, or when the backend uses another connection', async () => {
    const effects = tableName('eo_none');
    await checker.createTable('postgres', effects);
    const shared = new SqlBackend(f().conn as never, { table: tableName('ck') });
    const other = new SqlBackend(flavours.find((x) => x.name === 'pg client')!.conn as never, { table: tableName('ck') });
    const seen: number[] = [];
    const body = (opts: { completesItem?: boolean }) => async (items: number[]) => {
      for await (const i of items) {
        await transaction(f().conn, opts, (tx) => f().insert(tx.of(f().conn), effects, i));
        seen.push((await shared.readRecords('eo-opt-out')).length);
        if (i % 10 === 1) throw new Error('stop');
      }
    };
    await expect(safeState(body({ completesItem: false }), { name: 'eo-opt-out', backend: shared })([0, 1])).rejects.toThrow('stop');
    await expect(safeState(body({}), { name: 'eo-other-conn', backend: other })([10, 11])).rejects.toThrow('stop');
    expect(await shared.readRecords('eo-opt-out')).toEqual([]);
    expect(await other.readRecords('eo-other-conn')).toEqual([]);
    expect(seen).toEqual([0, 0, 0, 0]);
    await shared.close();
    await other.close();
  });
});

describe('@Idempotent({ key }) inside a transaction on the cache database', () => {
  const f = () => flavours.find((x) => x.name === 'mysql2 promise pool')!;

  function setup() {
    const effects = tableName('idem');
    const cache = new IdempotencyCache({ name: tableName('cache'), backend: new SqlBackend(f().conn as never, { table: tableName('ck') }) });
    let runs = 0;
    class Mailer {
      @Idempotent({ key: (id: number) => `mail-${id}`, cache })
      async send(id: number, tx: Transaction): Promise<string> {
        runs++;
        await f().insert(tx.of(f().conn), effects, id);
        return `sent ${id}`;
      }
    }
    return { effects, cache, mailer: new Mailer(), runs: () => runs };
  }

  it('records the result with the side effect: a rolled-back call is not recorded and runs again', async () => {
    const { effects, cache, mailer, runs } = setup();
    await checker.createTable('mysql', effects);
    await expect(transaction(f().conn, async (tx) => {
      await mailer.send(1, tx);
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect(await transaction(f().conn, (tx) => mailer.send(1, tx))).toBe('sent 1');
    expect(runs()).toBe(2);
    // recorded now: replayed without running, even outside a transaction
    expect(await mailer.send(1, undefined as never)).toBe('sent 1');
    expect(runs()).toBe(2);
    expect(await checker.ids('mysql', effects)).toEqual([1]);
    await cache.close();
  });

  it('replays a key called twice in one transaction, and makes a concurrent caller wait for the commit', async () => {
    const { effects, cache, mailer, runs } = setup();
    await checker.createTable('mysql', effects);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = transaction(f().conn, async (tx) => {
      const a = await mailer.send(7, tx);
      const b = await mailer.send(7, tx); // same transaction: replayed at once
      await gate;
      return [a, b];
    });
    await new Promise((r) => setTimeout(r, 50));
    let waiterDone = false;
    const waiter = transaction(f().conn, (tx) => mailer.send(7, tx)).then((v) => ((waiterDone = true), v));
    await new Promise((r) => setTimeout(r, 50));
    expect(waiterDone).toBe(false); // waits while the first transaction is open
    release();
    expect(await first).toEqual(['sent 7', 'sent 7']);
    expect(await waiter).toBe('sent 7');
    expect(runs()).toBe(1);
    expect(await checker.ids('mysql', effects)).toEqual([7]);
    await cache.close();
  });
});

describe('@Idempotent({ key }) with a cache on a single connection (better-sqlite3)', () => {
  it('refuses a first use inside a transaction on that connection; after one use outside, rollbacks and idle periods are fine', async () => {
    const f = flavours.find((x) => x.name === 'better-sqlite3')!;
    const db = f.conn as import('better-sqlite3').Database;
    const effects = tableName('idem_sq');
    await checker.createTable('sqlite', effects);
    const cache = new IdempotencyCache({ name: tableName('cache'), backend: new SqlBackend(db, { table: tableName('ck') }) });
    let runs = 0;
    class Mailer {
      @Idempotent({ key: (id: number) => `m${id}`, cache })
      async send(id: number, tx: Transaction): Promise<string> {
        runs++;
        await f.insert(tx.of(db), effects, id);
        return `sent ${id}`;
      }
    }
    const m = new Mailer();
    await expect(transaction(db, (tx) => m.send(1, tx))).rejects.toMatchObject({ code: 'IDEMPOTENCY_CACHE_NOT_READY' });
    expect(runs).toBe(0);
    await cache.seen('warm-up'); // creates the table, takes and later gives back the lease
    await expect(transaction(db, async (tx) => {
      await m.send(1, tx);
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect(await transaction(db, (tx) => m.send(1, tx))).toBe('sent 1');
    await new Promise((r) => setTimeout(r, 2_200)); // the idle lease is given back
    expect(await transaction(db, (tx) => m.send(1, tx))).toBe('sent 1');
    expect(await transaction(db, (tx) => m.send(2, tx))).toBe('sent 2');
    expect(runs).toBe(3);
    expect(await checker.ids('sqlite', effects)).toEqual([1, 2]);
    await cache.close();
  });
});
