/**
 * An upgrade over records kept the older way: before Redis and SQL claimed per key, a cache kept
 * its marks and `@Idempotent` results in one store entry used under a lease (the KeyStore and
 * StoreLease that FileBackend still uses, which is how these tests write them). After the upgrade,
 * a key recorded there must not run its effect again: the first use of the cache moves the entry's
 * live keys into per-key records and deletes the entry. Real servers (Redis, PostgreSQL, MariaDB)
 * and a SQLite file.
 */
import * as path from 'node:path';
import pg from 'pg';
import { IdempotencyCache, RedisBackend, SqlBackend, idempotent, transaction, type StateBackend } from '../../lib/index';
import { KeyStore } from '../../lib/idempotency/key-store';
import { StoreLease } from '../../lib/idempotency/store-lease';
import { cacheStoreName } from '../../lib/idempotency/store-registry';
import { IDEMPOTENCY_ADOPTED } from '../../lib/idempotency/adopt-leased-store';
import { serialize } from '../../lib/state/serializer';
import { testServers } from '../setup/servers';
import { namespace } from '../shared/targets';
import { tempDir } from '../helpers';

type Kind = 'redis' | 'postgres' | 'mysql' | 'sqlite';

function open(kind: Kind, ns: string, file: string): StateBackend {
  const s = testServers();
  if (kind === 'redis') return RedisBackend.fromUrl(s.redisUrl, { prefix: `${ns}:` });
  const url = kind === 'postgres' ? s.postgresUrl : kind === 'mysql' ? s.mysqlUrl : `sqlite:${file}`;
  return SqlBackend.fromUrl(url, { table: ns });
}

/** The store of the cache `name` as safe-state kept it before per-key claims on these backends: one entry, under a lease. */
function leasedStore(backend: StateBackend, name: string): KeyStore {
  const storeName = cacheStoreName(name);
  const display = `idempotency cache '${name}'`;
  return new KeyStore(backend, storeName, display, new StoreLease(backend, storeName, display));
}

/** Writes the cache `name` the way safe-state did before per-key claims on these backends. */
async function writeLeasedStore(backend: StateBackend, name: string, write: (store: KeyStore) => Promise<void>): Promise<void> {
  const store = leasedStore(backend, name);
  await store.pin(5_000);
  try {
    await write(store);
  } finally {
    store.unpin();
  }
  await store.close();
}

/** `charge()`: an `@Idempotent` function of `cache` under scope 'charge' and a fixed `key`, that counts its runs. */
function countedCharge(cache: IdempotencyCache, key: string): { charge: () => Promise<unknown>; runs: () => number } {
  let runs = 0;
  const charge = idempotent(
    async () => {
      runs++;
      return 'ran';
    },
    { key: () => key, cache, name: 'charge' },
  );
  return { charge, runs: () => runs };
}

/** The process warnings emitted while `fn` runs (by code and message). */
async function warningsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: { code?: string; message: string }[] }> {
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    const value = await fn();
    const warnings = spy.mock.calls.map(([message, options]) => ({ code: (options as { code?: string } | undefined)?.code, message: String(message) }));
    return { value, warnings };
  } finally {
    spy.mockRestore();
  }
}

describe.each(['redis', 'postgres', 'mysql', 'sqlite'] as const)('a cache kept under a lease before per-key claims, on %s', (kind) => {
  const closers: StateBackend[] = [];
  afterAll(async () => {
    for (const b of closers) await (b as { close?: () => Promise<void> }).close?.();
  });

  it('keeps every live key after the upgrade: marks stay seen, results replay without running, expired ones are gone', async () => {
    const ns = namespace();
    const file = path.join(tempDir(), 'adopt.db');
    const before = open(kind, ns, file);
    closers.push(before);
    const now = Date.now();
    await writeLeasedStore(before, 'mail', async (store) => {
      await store.mark('welcome:1', 0, 'strict');
      await store.mark('welcome:2', now + 60_000, 'strict');
      await store.mark('welcome:old', now - 1_000, 'strict'); // expired
      await store.putResult('charge\0order-1', { expires: 0, text: serialize({ id: 'ch_1', cents: 500 }, 'result') }, 'strict');
      await store.putResult('charge\0order-2', { expires: now + 60_000, text: serialize('ch_2', 'result') }, 'strict');
      await store.putResult('charge\0order-old', { expires: now - 1_000, text: serialize('ch_old', 'result') }, 'strict');
    });
    expect(await before.exists(cacheStoreName('mail'))).toBe(true);

    const after = open(kind, ns, file); // a new process's backend
    closers.push(after);
    const cache = new IdempotencyCache({ name: 'mail', backend: after });
    const ran: string[] = [];
    const charge = idempotent(
      async (order: string) => {
        ran.push(order);
        return `ran:${order}`;
      },
      { key: (order: string) => order, cache, name: 'charge' },
    );
    const { value, warnings } = await warningsDuring(() => charge('order-1'));
    expect(value).toEqual({ id: 'ch_1', cents: 500 });
    expect(warnings.filter((w) => w.code === IDEMPOTENCY_ADOPTED)).toHaveLength(1);
    expect(warnings.find((w) => w.code === IDEMPOTENCY_ADOPTED)!.message).toMatch(/idempotency cache 'mail': moved 4 key\(s\)/);
    expect(await charge('order-2')).toBe('ch_2');
    expect(await charge('order-old')).toBe('ran:order-old'); // it had expired: runs
    expect(ran).toEqual(['order-old']);
    expect(await cache.seen('welcome:1')).toBe(true);
    expect(await cache.seen('welcome:2')).toBe(true);
    expect(await cache.seen('welcome:old')).toBe(false);
    expect(await after.exists(cacheStoreName('mail'))).toBe(false); // moved, then deleted

    // another process that upgrades later finds nothing to move, and the keys are still there
    const third = open(kind, ns, file);
    closers.push(third);
    const again = new IdempotencyCache({ name: 'mail', backend: third });
    const second = await warningsDuring(() => again.seen('welcome:2'));
    expect(second.value).toBe(true);
    expect(second.warnings.filter((w) => w.code === IDEMPOTENCY_ADOPTED)).toEqual([]);
  });

  it('never overwrites a key recorded per key already; the first use through seen() or mark() moves the entry too', async () => {
    const ns = namespace();
    const file = path.join(tempDir(), 'adopt.db');
    const before = open(kind, ns, file);
    closers.push(before);
    await writeLeasedStore(before, 'c', async (store) => {
      await store.putResult('charge\0k', { expires: 0, text: serialize('old result', 'result') }, 'strict');
      await store.mark('m1', 0, 'strict');
    });
    // a per-key record of the same key, written by an upgraded process that did not adopt (as in a crash mid-adoption)
    const claims = (before as unknown as { keyClaims(): { put(s: string, k: string, t: string, ttl: number | undefined): Promise<void> } }).keyClaims();
    await claims.put(cacheStoreName('c'), 'r' + 'charge\0k', serialize('newer result', 'result'), undefined);

    const after = open(kind, ns, file);
    closers.push(after);
    const cache = new IdempotencyCache({ name: 'c', backend: after });
    expect(await cache.seen('m1')).toBe(true); // the first use: seen() adopts before it looks
    const { charge, runs } = countedCharge(cache, 'k');
    expect(await charge()).toBe('newer result');
    expect(runs()).toBe(0);
    expect(await after.exists(cacheStoreName('c'))).toBe(false);
  });

  it('an old entry that cannot be read fails every use loudly, and clear() deletes it without reading it', async () => {
    const ns = namespace();
    const file = path.join(tempDir(), 'adopt.db');
    const backend = open(kind, ns, file);
    closers.push(backend);
    await backend.save(cacheStoreName('broken'), 'not an idempotency store\n');
    const cache = new IdempotencyCache({ name: 'broken', backend });
    await expect(cache.seen('k')).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    await expect(cache.mark('k')).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT' }); // not taken as moved after a failure
    await cache.clear();
    expect(await backend.exists(cacheStoreName('broken'))).toBe(false);
    expect(await cache.seen('k')).toBe(false);
    await cache.mark('k');
    expect(await cache.seen('k')).toBe(true);
  });

  it('waits for a process of the older version that holds the store, and moves what it wrote meanwhile', async () => {
    const ns = namespace();
    const file = path.join(tempDir(), 'adopt.db');
    const older = open(kind, ns, file);
    closers.push(older);
    const storeName = cacheStoreName('busy');
    const held = leasedStore(older, 'busy');
    await held.pin(5_000);
    await held.mark('early', 0, 'strict');

    const after = open(kind, ns, file);
    closers.push(after);
    const cache = new IdempotencyCache({ name: 'busy', backend: after, waitMs: 20_000 });
    const seen = cache.seen('late'); // waits for the lease
    await new Promise((r) => setTimeout(r, 300));
    await held.mark('late', 0, 'strict'); // the older process is still writing
    held.unpin();
    await held.close();
    expect(await seen).toBe(true);
    expect(await cache.seen('early')).toBe(true);
    expect(await after.exists(storeName)).toBe(false);
  });
});

describe('a result an older safe-state recorded inside a transaction (PostgreSQL, a pg pool shared with the backend)', () => {
  it('is moved like the others, and its transactional record is deleted with the entry', async () => {
    const pool = new pg.Pool({ connectionString: testServers().postgresUrl, max: 4 });
    const ns = namespace();
    const older = new SqlBackend(pool as never, { table: ns });
    const storeName = cacheStoreName('tx');
    const held = leasedStore(older, 'tx');
    try {
      await held.pin(5_000);
      await held.mark('plain', 0, 'strict');
      await transaction(pool, async (tx) => {
        await held.putResultInTransaction(tx, held.sharedParticipant(tx)!, 'charge\0in-tx', { expires: 0, text: serialize('from the transaction', 'result') }, 'strict');
      });
      held.unpin();
      await held.close();
      expect(await older.readRecords(storeName)).toHaveLength(1);

      const after = new SqlBackend(pool as never, { table: ns });
      const cache = new IdempotencyCache({ name: 'tx', backend: after });
      const { charge, runs } = countedCharge(cache, 'in-tx');
      expect(await charge()).toBe('from the transaction');
      expect(runs()).toBe(0);
      expect(await cache.seen('plain')).toBe(true);
      expect(await after.exists(storeName)).toBe(false);
      expect(await after.readRecords(storeName)).toEqual([]); // else every later process would find it and move again
      await after.close();
      await older.close();
    } finally {
      await pool.end();
    }
  });
});
