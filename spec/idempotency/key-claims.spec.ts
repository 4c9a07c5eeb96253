/**
 * Per-key claims of the Redis and SQL backends (the storage of IdempotencyCache and
 * `@Idempotent({ key })` there) against real servers: a claim wins once, fencing by token,
 * takeover of a lapsed claim, release, TTLs, odd keys and store names, and caches shared by
 * separate backend objects (as separate processes have) at once.
 */
import { IdempotencyCache, JobLockedError, SqlBackend, idempotent, type StateBackend } from '../../lib/index';
import { claimsOf, type KeyClaims } from '../../lib/idempotency/key-claims';
import { SHARED_KINDS, namespace, openShared } from '../shared/targets';
import { tempDir } from '../helpers';
import { testServers } from '../setup/servers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(SHARED_KINDS)('per-key claims on %s', (kind) => {
  const ns = namespace();
  const dir = tempDir();
  const backends: StateBackend[] = [];
  let claims: KeyClaims;
  const open = () => {
    const b = openShared(kind, ns, dir);
    backends.push(b);
    return b;
  };
  beforeAll(() => {
    claims = claimsOf(open())!;
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });

  it('a claim wins once; writes are fenced by the token; the record is what later claims get', async () => {
    expect(await claims.claim('s', 'k1', 'tokA', 5_000)).toEqual({ kind: 'won' });
    const held = await claims.claim('s', 'k1', 'tokB', 5_000);
    expect(held.kind).toBe('held');
    expect(await claims.record('s', 'k1', 'tokB', 'theirs', undefined)).toBe(false);
    expect(await claims.read('s', 'k1')).toBeNull(); // a claim is not a value
    expect(await claims.renew('s', 'k1', 'tokA', 5_000)).toBe(true);
    expect(await claims.record('s', 'k1', 'tokA', 'mine', undefined)).toBe(true);
    expect(await claims.claim('s', 'k1', 'tokC', 5_000)).toEqual({ kind: 'done', text: 'mine' });
    expect(await claims.read('s', 'k1')).toBe('mine');
  });

  it('a lapsed claim is taken over; the old holder can then neither record, renew nor release', async () => {
    expect(await claims.claim('s', 'k2', 'old', 300)).toEqual({ kind: 'won' });
    await sleep(450);
    expect(await claims.claim('s', 'k2', 'new', 5_000)).toEqual({ kind: 'won' });
    expect(await claims.record('s', 'k2', 'old', 'stale', undefined)).toBe(false);
    expect(await claims.renew('s', 'k2', 'old', 5_000)).toBe(false);
    await claims.release('s', 'k2', 'old');
    expect((await claims.claim('s', 'k2', 'third', 5_000)).kind).toBe('held');
    expect(await claims.record('s', 'k2', 'new', 'fresh', undefined)).toBe(true);
    expect(await claims.read('s', 'k2')).toBe('fresh');
  });

  it('a released claim is free at once; values expire after their TTL', async () => {
    expect(await claims.claim('s', 'k3', 'a', 5_000)).toEqual({ kind: 'won' });
    await claims.release('s', 'k3', 'a');
    expect(await claims.claim('s', 'k3', 'b', 5_000)).toEqual({ kind: 'won' });
    expect(await claims.record('s', 'k3', 'b', 'short', 300)).toBe(true);
    expect(await claims.read('s', 'k3')).toBe('short');
    await claims.put('s', 'm1', '', 300);
    expect(await claims.read('s', 'm1')).toBe('');
    await sleep(450);
    expect(await claims.read('s', 'k3')).toBeNull();
    expect(await claims.read('s', 'm1')).toBeNull();
    expect(await claims.claim('s', 'k3', 'c', 5_000)).toEqual({ kind: 'won' }); // an expired record is claimed again
  });

  it('keys and store names are data: NUL, braces, globs, quotes and long keys; clear is per store', async () => {
    const odd = ['a\0b', '{x}', '*', "it's; DROP TABLE x; --", 'é✓', 'k'.repeat(3_000)];
    for (const store of ['a', 'a:b', 'a*', '{a}']) for (const k of odd) await claims.put(store, k, JSON.stringify(`${store}|${k}`), undefined); // values are serialized text (no raw NUL)
    await claims.clear('a*');
    await claims.clear('a');
    for (const k of odd) {
      expect(await claims.read('a', k)).toBeNull();
      expect(await claims.read('a*', k)).toBeNull();
      expect(await claims.read('a:b', k)).toBe(JSON.stringify(`a:b|${k}`));
      expect(await claims.read('{a}', k)).toBe(JSON.stringify(`{a}|${k}`));
    }
    expect(await claims.remove('a:b', '*')).toBe(true);
    expect(await claims.remove('a:b', '*')).toBe(false);
  });

  it('caches over separate backend objects (as separate processes) share marks and results at once', async () => {
    const one = new IdempotencyCache({ name: 'shared', backend: open() });
    const two = new IdempotencyCache({ name: 'shared', backend: open() });
    await one.mark('m');
    expect(await two.seen('m')).toBe(true);
    expect(await two.delete('m')).toBe(true);
    expect(await one.seen('m')).toBe(false);
    let runs = 0;
    const make = (cache: IdempotencyCache) =>
      idempotent(
        async (x: number) => {
          runs++;
          await sleep(50);
          return { x };
        },
        { name: 'twice', key: (x: number) => String(x), cache },
      );
    const [f, g] = [make(one), make(two)];
    const answers = await Promise.all([f(1), g(1), f(2), g(2), g(1)]);
    expect(answers).toEqual([{ x: 1 }, { x: 1 }, { x: 2 }, { x: 2 }, { x: 1 }]);
    expect(runs).toBe(2);
    await one.clear();
    expect(await g(1)).toEqual({ x: 1 });
    expect(runs).toBe(3);
    await one.close();
    await two.close();
  });

  it('a caller of a key held by a live claim fails with JobLockedError after waitMs', async () => {
    const cache = new IdempotencyCache({ name: 'busy', backend: open(), waitMs: 200 });
    const f = idempotent(async (x: number) => x, { name: 'busy', key: (x: number) => String(x), cache });
    // another process's live claim of the key (the record key of scope 'busy', key '7')
    expect(await claims.claim('safe-state:idempotency:cache:busy', 'rbusy\u00007', 'other', 30_000)).toEqual({ kind: 'won' });
    const e = await f(7).catch((x: unknown) => x);
    expect(JobLockedError.is(e)).toBe(true);
    expect((e as Error).message).toMatch(/busy\("7"\) is running in another process/);
    await claims.release('safe-state:idempotency:cache:busy', 'rbusy\u00007', 'other');
    expect(await f(7)).toBe(7);
  });
});

describe('per-key claims on PostgreSQL: statements per call', () => {
  it('a new key costs two statements (the claim, the record: each answers its row), a replay the claim and one read', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Pool } = require('pg') as typeof import('pg');
    const pool = new Pool({ connectionString: testServers().postgresUrl, max: 2 });
    pool.on('error', () => undefined);
    const sent: string[] = [];
    const query = pool.query.bind(pool) as (...a: unknown[]) => unknown;
    (pool as unknown as { query: (...a: unknown[]) => unknown }).query = (cfg: unknown, ...rest: unknown[]) => {
      sent.push(String(typeof cfg === 'string' ? cfg : (cfg as { text: string }).text).split(' ')[0]);
      return query(cfg, ...rest);
    };
    const backend = new SqlBackend(pool, { table: namespace() });
    try {
      const cache = new IdempotencyCache({ name: 'counted', backend });
      let runs = 0;
      const charge = idempotent(async (k: string) => `ok:${k}:${++runs}`, { name: 'charge', key: (k: string) => k, cache });
      expect(await charge('warm')).toBe('ok:warm:1'); // creates the key table, looks for an old store entry
      sent.length = 0;
      expect(await charge('k1')).toBe('ok:k1:2');
      // before: INSERT, SELECT (read back the claim), UPDATE, SELECT (read back the record)
      expect(sent).toEqual(['INSERT', 'UPDATE']);
      sent.length = 0;
      expect(await charge('k1')).toBe('ok:k1:2');
      expect(sent).toEqual(['INSERT', 'SELECT']); // the insert meets the row: read it, replay
      expect(runs).toBe(2);
    } finally {
      await backend.close();
      await pool.end();
    }
  });
});
