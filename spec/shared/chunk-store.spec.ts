/**
 * The chunk stores of shared jobs against real servers: claims, leases, fencing, completion,
 * retention, release, failure records, clearing.
 */
import type { ClaimedChunk, SharedChunkStore, StateBackend } from '../../lib/index';
import { KNEX_KINDS, SHARED_KINDS, namespace, openShared } from './targets';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LAYOUT = { total: 25, chunkSize: 10, fingerprint: ['a', 'b'] };
const DAY = 86_400_000;

describe.each([...SHARED_KINDS, ...KNEX_KINDS])('chunk store on %s', (kind) => {
  let backend: StateBackend;
  let store: SharedChunkStore;
  const job = (n: string) => `job ${n} ✓ {x}`;

  beforeAll(() => {
    backend = openShared(kind, namespace());
    store = backend.sharedChunks!();
  });
  afterAll(async () => {
    await backend.close();
  });

  const claimChunk = async (name: string, leaseMs = 5_000): Promise<ClaimedChunk> => {
    const c = await store.claim(name, leaseMs);
    if (c.kind !== 'chunk') throw new Error(`expected a chunk, got ${JSON.stringify(c)}`);
    return c;
  };

  it('opens a record once; later workers get the stored layout and count as runs', async () => {
    const name = job('open');
    const a = await store.open(name, LAYOUT, DAY);
    expect(a).toEqual({ ...LAYOUT, complete: false, runCount: 1 });
    const b = await store.open(name, { total: 99, chunkSize: 7, fingerprint: [] }, DAY);
    expect(b).toEqual({ ...LAYOUT, complete: false, runCount: 2 });
    expect(await store.list()).toContain(name);
  });

  it('claims chunks in order, then answers wait until the earliest lease expires', async () => {
    const name = job('claim');
    await store.open(name, LAYOUT, DAY);
    const cs = [await claimChunk(name, 2_000), await claimChunk(name, 2_000), await claimChunk(name, 2_000)];
    expect(cs.map((c) => [c.chunk, c.start, c.end])).toEqual([[0, 0, 10], [1, 10, 20], [2, 20, 25]]);
    expect(new Set(cs.map((c) => c.token)).size).toBe(3);
    const w = await store.claim(name, 2_000);
    expect(w.kind).toBe('wait');
    if (w.kind === 'wait') {
      expect(w.retryInMs).toBeGreaterThan(1_000);
      expect(w.retryInMs).toBeLessThanOrEqual(2_000);
    }
  });

  it('fences marks, renewals and completion by the lease token; an expired chunk is claimed again with its done items', async () => {
    const name = job('fence');
    await store.open(name, LAYOUT, DAY);
    const a = await claimChunk(name, 300);
    expect(await store.mark(name, a.chunk, a.token, [0, 1, 2], 300)).toBe(true);
    expect(await store.mark(name, a.chunk, 'not-the-token', [5], 300)).toBe(false);
    expect(await store.renew(name, a.chunk, a.token, 300)).toBe(true);
    await sleep(450);
    // the lease ran out: the next claim takes chunk 0 again (before the never-claimed chunk 1)
    const b = await claimChunk(name, 5_000);
    expect(b.chunk).toBe(0);
    expect([...b.done].sort((x, y) => x - y)).toEqual([0, 1, 2]);
    expect(await store.mark(name, a.chunk, a.token, [3], 5_000)).toBe(false); // the old holder's mark does not count
    expect(await store.renew(name, a.chunk, a.token, 5_000)).toBe(false);
    expect(await store.complete(name, a.chunk, a.token, DAY)).toBe('lost');
    expect(await store.mark(name, b.chunk, b.token, [3, 4], 5_000)).toBe(true);
    const s = await store.status(name);
    expect(s?.doneItems).toEqual([0, 1, 2, 3, 4]);
  });

  it('a held lease extended by marks is not claimed by others', async () => {
    const name = job('extend');
    await store.open(name, { total: 5, chunkSize: 5, fingerprint: [] }, DAY);
    const a = await claimChunk(name, 300);
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      expect(await store.mark(name, a.chunk, a.token, [i], 300)).toBe(true);
    }
    expect((await store.claim(name, 300)).kind).toBe('wait');
  });

  it('completes the job with its last chunk; later claims end; the record is kept as complete', async () => {
    const name = job('complete');
    await store.open(name, LAYOUT, DAY);
    const results: string[] = [];
    for (let k = 0; k < 3; k++) {
      const c = await claimChunk(name);
      expect(await store.mark(name, c.chunk, c.token, Array.from({ length: c.end - c.start }, (_, i) => i), 5_000)).toBe(true);
      results.push(await store.complete(name, c.chunk, c.token, DAY));
    }
    expect(results).toEqual(['ok', 'ok', 'job-complete']);
    expect(await store.claim(name, 5_000)).toEqual({ kind: 'done' });
    const again = await store.open(name, LAYOUT, DAY);
    expect(again.complete).toBe(true);
    const s = await store.status(name);
    expect(s?.complete).toBe(true);
    expect(s?.doneItems).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(s?.runCount).toBe(2);
  });

  it('forgets a completed job after its retention time', async () => {
    const name = job('ttl');
    await store.open(name, { total: 3, chunkSize: 10, fingerprint: [] }, 400);
    const c = await claimChunk(name);
    expect(await store.complete(name, c.chunk, c.token, 400)).toBe('job-complete');
    expect((await store.open(name, { total: 3, chunkSize: 10, fingerprint: [] }, 400)).complete).toBe(true);
    await sleep(700);
    expect(await store.status(name)).toBeNull();
    expect(await store.list()).not.toContain(name);
    const fresh = await store.open(name, { total: 3, chunkSize: 10, fingerprint: [] }, 400);
    expect(fresh.complete).toBe(false);
    expect(fresh.runCount).toBe(1);
  });

  it('an empty job is complete at once', async () => {
    const name = job('empty');
    expect((await store.open(name, { total: 0, chunkSize: 10, fingerprint: [] }, DAY)).complete).toBe(true);
    expect(await store.claim(name, 1_000)).toEqual({ kind: 'done' });
  });

  it('release makes a chunk claimable at once; failures are recorded; clear removes everything', async () => {
    const name = job('release');
    await store.open(name, LAYOUT, DAY);
    const a = await claimChunk(name, 60_000);
    await store.mark(name, a.chunk, a.token, [4], 60_000);
    await store.release(name, a.chunk, a.token);
    expect(await store.mark(name, a.chunk, a.token, [5], 60_000)).toBe(false);
    const b = await claimChunk(name, 60_000);
    expect(b.chunk).toBe(0);
    expect([...b.done]).toEqual([4]);
    const failure = { index: 7, name: 'Error', message: 'boom', stack: null, at: new Date().toISOString() };
    await store.recordFailure(name, failure);
    expect((await store.status(name))?.lastFailure).toEqual(failure);
    await store.clear(name);
    expect(await store.status(name)).toBeNull();
    expect(await store.list()).not.toContain(name);
  });

  it('hands each chunk to exactly one of many concurrent claimers', async () => {
    const name = job('race');
    const total = 400;
    await store.open(name, { total, chunkSize: 10, fingerprint: [] }, DAY);
    const got: number[] = [];
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (;;) {
        const c = await store.claim(name, 60_000);
        if (c.kind !== 'chunk') return;
        got.push(c.chunk);
      }
    }));
    expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });
});
