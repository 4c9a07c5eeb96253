import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Idempotent, idempotent, IdempotencyCache, MemoryBackend, FileBackend, UnserializableStateError, JobLockedError,
} from '../../lib/index';
import { tempDir } from '../helpers';
import { kill, sameDirElsewhere, startChild } from './child';

const memCache = (options: { ttlMs?: number } = {}) => new IdempotencyCache({ name: 'k', backend: new MemoryBackend(), ...options });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('@Idempotent({ key }): once per key, result recorded and replayed', () => {
  it('runs the method once per key and replays its result (deserialized like job state)', async () => {
    const cache = memCache();
    let calls = 0;
    class Billing {
      @Idempotent({ key: (orderId: string) => orderId, cache })
      async charge(orderId: string, cents: number): Promise<{ id: string; at: Date; lines: Map<string, bigint> }> {
        calls++;
        return { id: `${orderId}-${calls}`, at: new Date(1000), lines: new Map([['total', BigInt(cents)]]) };
      }
    }
    const b = new Billing();
    const first = await b.charge('o1', 100);
    const again = await b.charge('o1', 999); // same key: replayed, whatever the other arguments
    expect(calls).toBe(1);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    expect(again.at).toBeInstanceOf(Date);
    expect(again.lines.get('total')).toBe(100n);
    await b.charge('o2', 5);
    expect(calls).toBe(2);
  });

  it('replays undefined and falsy results too (a recorded call is done, whatever it returned)', async () => {
    const cache = memCache();
    let calls = 0;
    const f = idempotent(async function sideEffect(k: string) {
      calls++;
      return k === 'zero' ? 0 : undefined;
    }, { key: (k) => k, cache });
    expect(await f('u')).toBeUndefined();
    expect(await f('u')).toBeUndefined();
    expect(await f('zero')).toBe(0);
    expect(await f('zero')).toBe(0);
    expect(calls).toBe(2);
  });

  it('does not record a thrown error: the next call runs again, and the original error is re-thrown unchanged', async () => {
    const cache = memCache();
    const boom = new Error('smtp down');
    let calls = 0;
    class Mailer {
      fail = true;
      @Idempotent({ key: (to: string) => to, cache })
      async send(to: string): Promise<string> {
        calls++;
        if (this.fail) throw boom;
        return `sent to ${to}`;
      }
    }
    const m = new Mailer();
    await expect(m.send('a@x')).rejects.toBe(boom);
    await expect(m.send('a@x')).rejects.toBe(boom);
    m.fail = false;
    expect(await m.send('a@x')).toBe('sent to a@x');
    expect(await m.send('a@x')).toBe('sent to a@x');
    expect(calls).toBe(3);
  });

  it('a result that cannot be serialized fails the call with UnserializableStateError and is not recorded', async () => {
    const cache = memCache();
    let calls = 0;
    class Api {
      @Idempotent({ key: () => 'k', cache })
      async fetch(): Promise<unknown> {
        calls++;
        return { ok: true, parse: () => 1 };
      }
    }
    const err = (await new Api().fetch().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UnserializableStateError);
    expect(err.message).toContain('result of Api.fetch');
    expect(err.message).toContain('parse');
    await new Api().fetch().catch(() => undefined);
    expect(calls).toBe(2);
  });

  it('records expire after ttlMs (the option, else the cache\'s ttlMs)', async () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      let calls = 0;
      const own = idempotent(async function own(k: string) {
        return `${k}${++calls}`;
      }, { key: (k) => k, ttlMs: 60, cache: memCache() });
      expect(await own('a')).toBe('a1');
      now += 59;
      expect(await own('a')).toBe('a1');
      now += 2;
      expect(await own('a')).toBe('a2');

      const fromCache = idempotent(async function fromCache(k: string) {
        return `${k}${++calls}`;
      }, { key: (k) => k, cache: memCache({ ttlMs: 60 }) });
      expect(await fromCache('b')).toBe('b3');
      expect(await fromCache('b')).toBe('b3');
      now += 61;
      expect(await fromCache('b')).toBe('b4');
    } finally {
      clock.mockRestore();
    }
  });

  it('records survive in the backend: a new process (a new cache over the same files) replays them', async () => {
    const dir = tempDir();
    let calls = 0;
    const make = (where: string) => {
      const cache = new IdempotencyCache({ name: 'persist', backend: new FileBackend({ dir: where }) });
      const f = idempotent(async function persisted(k: string) {
        return `${k}:${++calls}`;
      }, { key: (k) => k, cache });
      return { cache, f };
    };
    const one = make(dir);
    expect(await one.f('x')).toBe('x:1');
    await one.cache.close();
    const two = make(sameDirElsewhere(dir)); // nothing shared in memory with `one`
    expect(await two.f('x')).toBe('x:1');
    expect(calls).toBe(1);
    await two.cache.close();
  });

  it('without a job and without cache, records go to the default cache in .safe_state', async () => {
    const dir = tempDir();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      let calls = 0;
      const f = idempotent(async function defaultCacheFn(k: string) {
        return ++calls;
      }, { key: (k) => k });
      expect(await f('a')).toBe(1);
      expect(await f('a')).toBe(1);
      expect(await new IdempotencyCache().seen('a')).toBe(false); // marks and records are apart
      const files = fs.readdirSync(path.join(dir, '.safe_state'));
      expect(files.some((n) => n.startsWith('safe-state_idempotency_cache_default-'))).toBe(true);
      await new IdempotencyCache().close();
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('two callers of one key at the same time', () => {
  it('in one process the second waits for the first and gets its result: the method runs once', async () => {
    const cache = memCache();
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    class Slow {
      @Idempotent({ key: (k: string) => k, cache })
      async work(k: string): Promise<string> {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(30);
        running--;
        return `${k}:${calls}`;
      }
    }
    const s = new Slow();
    const results = await Promise.all([s.work('k'), s.work('k'), new Slow().work('k')]);
    expect(results).toEqual(['k:1', 'k:1', 'k:1']);
    expect(calls).toBe(1);
    expect(maxRunning).toBe(1);
  });

  it('calls of different keys run concurrently', async () => {
    const cache = memCache();
    let running = 0;
    let maxRunning = 0;
    const f = idempotent(async function parallel(k: string) {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(20);
      running--;
      return k;
    }, { key: (k) => k, cache });
    expect(await Promise.all(['a', 'b', 'c'].map(f))).toEqual(['a', 'b', 'c']);
    expect(maxRunning).toBe(3);
  });

  it('when the first caller fails, the waiting one runs the method itself (the error was not recorded)', async () => {
    const cache = memCache();
    let calls = 0;
    const f = idempotent(async function flaky(k: string) {
      calls++;
      await sleep(20);
      if (calls === 1) throw new Error('first attempt failed');
      return `${k} on attempt ${calls}`;
    }, { key: (k) => k, cache });
    const [a, b] = await Promise.allSettled([f('k'), f('k')]);
    expect(a).toMatchObject({ status: 'rejected', reason: { message: 'first attempt failed' } });
    expect(b).toEqual({ status: 'fulfilled', value: 'k on attempt 2' });
    expect(calls).toBe(2);
  });

  it('two cache objects over the same files in one process are one cache: the second call waits for the first and replays', async () => {
    const dir = tempDir();
    let calls = 0;
    const cacheA = new IdempotencyCache({ name: 'two', backend: new FileBackend({ dir }) });
    const cacheB = new IdempotencyCache({ name: 'two', backend: new FileBackend({ dir }) });
    const body = async (k: string) => {
      calls++;
      await sleep(50);
      return `${k}:${calls}`;
    };
    const a = idempotent(body, { key: (k) => k, cache: cacheA, name: 'two-objects' });
    const b = idempotent(body, { key: (k) => k, cache: cacheB, name: 'two-objects' });
    expect(await Promise.all([a('k'), b('k')])).toEqual(['k:1', 'k:1']);
    expect(calls).toBe(1);
    await cacheA.mark('m');
    expect(await cacheB.seen('m')).toBe(true);
    await cacheA.close();
  });

  it('waiting for another process is bounded by the cache\'s waitMs: then JobLockedError names the holder; a killed holder is taken over at once', async () => {
    const dir = tempDir();
    const holder = startChild([dir, path.join(dir, 'effects.log'), 'cache-hang-after-effect', 'k']); // holds cache 'crash'
    try {
      await holder.waitFor('effect');
      const waiter = new IdempotencyCache({ name: 'crash', backend: new FileBackend({ dir }), waitMs: 200 });
      const t0 = Date.now();
      const err = (await waiter.seen('x').catch((e: unknown) => e)) as JobLockedError;
      expect(err).toBeInstanceOf(JobLockedError);
      expect(err.message).toMatch(/idempotency cache 'crash' is in use by another process \(pid \d+ .*\) and was not given back within 200 ms/);
      expect(err.holder!.pid).toBe(holder.proc.pid);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
      await kill(holder);
      const t1 = Date.now();
      expect(await waiter.seen('x')).toBe(false);
      expect(Date.now() - t1).toBeLessThan(2000);
      await waiter.close();
    } finally {
      if (holder.proc.exitCode === null && holder.proc.signalCode === null) await kill(holder);
    }
  });
});
