/**
 * One conformance suite for every transaction adapter, each against its real database: commit,
 * rollback on a throw, the handle tx.of() hands out, handles after the end, the Transaction class
 * with `await using`, one-at-a-time transactions on a single connection.
 */
import { transaction, Transaction, SafeStateError } from '../../lib/index';
import { Checker, makeFlavours, tableName, type Flavour } from './flavours';

let checker: Checker;
let flavours: Flavour[];

beforeAll(async () => {
  checker = new Checker();
  flavours = await makeFlavours(checker);
});

afterAll(async () => {
  for (const f of flavours ?? []) await f.close();
  await checker?.close();
});

const NAMES = [
  'mysql2 callback connection',
  'mysql2 promise connection',
  'mysql2 callback pool',
  'mysql2 promise pool',
  'knex (mysql2)',
  'knex (pg)',
  'knex (better-sqlite3)',
  'better-sqlite3',
  'pg client',
  'pg pool',
  'duck-typed (beginTransaction/commit/rollback)',
];

function flavour(name: string): Flavour {
  const f = flavours.find((x) => x.name === name);
  if (!f) throw new Error(`no flavour ${name}`);
  return f;
}

describe.each(NAMES)('%s', (name) => {
  let f: Flavour;
  let table: string;
  beforeEach(async () => {
    f = flavour(name);
    table = tableName('conf');
    await checker.createTable(f.engine, table);
  });

  it('commits what the callback wrote and returns its result', async () => {
    const result = await transaction(f.conn, async (tx) => {
      await f.insert(tx.of(f.conn), table, 1);
      await f.insert(tx.of(f.conn), table, 2);
      expect(await checker.ids(f.engine, table)).toEqual([]); // not visible outside before the commit
      return 'done';
    });
    expect(result).toBe('done');
    expect(await checker.ids(f.engine, table)).toEqual([1, 2]);
  });

  it('rolls back when the callback throws and re-throws the same error', async () => {
    const boom = new Error('boom');
    await expect(
      transaction(f.conn, async (tx) => {
        await f.insert(tx.of(f.conn), table, 1);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await checker.ids(f.engine, table)).toEqual([]);
    // the connection is usable afterwards
    await transaction(f.conn, (tx) => f.insert(tx.of(f.conn), table, 3));
    expect(await checker.ids(f.engine, table)).toEqual([3]);
  });

  it('hands out the right handle, the same one every time', async () => {
    await transaction(f.conn, async (tx) => {
      const h = tx.of(f.conn) as any;
      expect(tx.of(f.conn)).toBe(h);
      expect(tx.has(f.conn)).toBe(true);
      switch (f.handleKind) {
        case 'same':
          expect(Object.getPrototypeOf(h)).toBe(Object.getPrototypeOf(f.conn));
          break;
        case 'knex-trx':
          expect(h.isTransaction).toBe(true);
          expect(typeof h).toBe('function');
          break;
        case 'mysql-pool-conn':
          expect(h.constructor.name).toBe('PoolConnection');
          expect(typeof h.release).toBe('function');
          expect(typeof h.promise).toBe('function'); // the callback API (its .promise() gives the promise one)
          expect(await new Promise((res, rej) => h.query('SELECT 1 AS one', (e: Error | null, rows: unknown) => (e ? rej(e) : res(rows))))).toEqual([{ one: 1 }]);
          break;
        case 'mysql-promise-pool-conn': {
          expect(h.constructor.name).toBe('PromisePoolConnection');
          const p = h.query('SELECT 1');
          expect(typeof p.then).toBe('function'); // promise API
          await p;
          break;
        }
        case 'pg-pool-client':
          expect(typeof h.release).toBe('function');
          expect(h).not.toBe(f.conn);
          break;
      }
    });
  });

  it('refuses a handle used after commit or rollback with a clear error', async () => {
    let kept: any;
    let tx!: Transaction;
    await transaction(f.conn, (t) => {
      tx = t;
      kept = t.of(f.conn);
    });
    const closed = async (fn: () => unknown) => {
      let err: unknown;
      try {
        await fn();
      } catch (e) {
        err = e;
      }
      expect(SafeStateError.is(err)).toBe(true);
      expect((err as SafeStateError).code).toBe('TRANSACTION_CLOSED');
      expect((err as Error).message).toMatch(/committed/);
    };
    await closed(() => kept.query);
    await closed(() => f.insert(kept, table, 9));
    await closed(() => tx.of(f.conn));
    await expect(tx.commit()).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
    await expect(tx.rollback()).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });

    const rb = await Transaction.begin(f.conn);
    const h = rb.of(f.conn) as any;
    await rb.rollback();
    let err: unknown;
    try {
      await f.insert(h, table, 10);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'TRANSACTION_CLOSED', message: expect.stringMatching(/rolled back/) });
    expect(await checker.ids(f.engine, table)).toEqual([]);
  });

  it('works as a Transaction value: begin, commit, rollback, await using', async () => {
    const a = await Transaction.begin(f.conn);
    expect(a.state).toBe('active');
    await f.insert(a.of(f.conn), table, 1);
    await a.commit();
    expect(a.state).toBe('committed');

    const b = await Transaction.begin([f.conn]);
    await f.insert(b.of(f.conn), table, 2);
    await b.rollback();
    expect(b.state).toBe('rolled back');
    await b.rollback(); // twice is fine

    {
      await using c = await Transaction.begin(f.conn);
      await f.insert(c.of(f.conn), table, 3);
      // leaves the block without commit: rolled back
    }
    {
      await using d = await Transaction.begin(f.conn);
      await f.insert(d.of(f.conn), table, 4);
      await d.commit();
    }
    expect(await checker.ids(f.engine, table)).toEqual([1, 4]);
  });

  it('runs concurrent transactions correctly (one at a time on a single connection)', async () => {
    const order: string[] = [];
    await Promise.all(
      [1, 2, 3].map((id) =>
        transaction(f.conn, async (tx) => {
          order.push(`start ${id}`);
          await f.insert(tx.of(f.conn), table, id);
          await new Promise((r) => setTimeout(r, 20));
          if (id === 2) throw new Error('two fails');
          order.push(`end ${id}`);
        }).catch(() => undefined),
      ),
    );
    expect(await checker.ids(f.engine, table)).toEqual([1, 3]);
    if (f.single) expect(order).toEqual(['start 1', 'end 1', 'start 2', 'start 3', 'end 3']);
  });

  it('refuses a nested transaction on the same single connection instead of waiting for itself', async () => {
    if (!f.single) return;
    await expect(transaction(f.conn, () => transaction(f.conn, () => 1))).rejects.toMatchObject({ code: 'NESTED_TRANSACTION' });
  });
});
