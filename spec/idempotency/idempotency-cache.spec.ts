import * as fs from 'node:fs';
import {
  IdempotencyCache, MemoryBackend, FileBackend, StateBackend, InvalidOptionsError, CheckpointCorruptError, idempotent,
} from '../../lib/index';
import { COMPACT_MIN_GARBAGE } from '../../lib/idempotency/key-store';
import * as path from 'node:path';
import { tempDir } from '../helpers';
import { runChild, sameDirElsewhere } from './child';

const storeName = (name: string) => `safe-state:idempotency:cache:${name}`;

/** A third-party backend with the four required methods only, over a shared Map (a "server"). */
class MapBackend extends StateBackend {
  constructor(readonly m = new Map<string, string>()) {
    super();
  }
  async load(job: string) {
    return this.m.get(job) ?? null;
  }
  async save(job: string, data: string) {
    await new Promise((r) => setImmediate(r));
    this.m.set(job, data);
  }
  async delete(job: string) {
    this.m.delete(job);
  }
  async exists(job: string) {
    return this.m.has(job);
  }
}

/** A MemoryBackend that counts whole saves and appends (and their sizes) per entry. */
class CountingBackend extends MemoryBackend {
  saves: { name: string; bytes: number }[] = [];
  appends: { name: string; bytes: number }[] = [];
  override saveSync(name: string, data: string): void {
    this.saves.push({ name, bytes: data.length });
    super.saveSync(name, data);
  }
  override appendSync(name: string, records: string): void {
    this.appends.push({ name, bytes: records.length });
    super.appendSync(name, records);
  }
}

interface Flavour {
  label: string;
  /** two backend objects over the same storage ("two processes"), where the flavour has that */
  make(): { first: StateBackend; again: () => StateBackend };
}

const flavours: Flavour[] = [
  {
    label: 'FileBackend',
    make: () => {
      const dir = tempDir();
      return { first: new FileBackend({ dir }), again: () => new FileBackend({ dir: sameDirElsewhere(dir) }) };
    },
  },
  {
    label: 'MemoryBackend',
    make: () => {
      const b = new MemoryBackend();
      return { first: b, again: () => b };
    },
  },
  {
    label: 'a backend with only load/save/delete/exists',
    make: () => {
      const m = new Map<string, string>();
      return { first: new MapBackend(m), again: () => new MapBackend(m) };
    },
  },
];

describe.each(flavours)('IdempotencyCache on $label', ({ make }) => {
  it('seen / mark / delete / clear', async () => {
    const { first } = make();
    const cache = new IdempotencyCache({ name: 'basic', backend: first });
    expect(await cache.seen('a')).toBe(false);
    await cache.mark('a');
    await cache.mark('b');
    expect(await cache.seen('a')).toBe(true);
    expect(await cache.seen('c')).toBe(false);
    expect(await cache.delete('a')).toBe(true);
    expect(await cache.delete('a')).toBe(false);
    expect(await cache.seen('a')).toBe(false);
    expect(await cache.seen('b')).toBe(true);
    await cache.clear();
    expect(await cache.seen('b')).toBe(false);
    await cache.mark('c');
    expect(await cache.seen('c')).toBe(true);
    await cache.close();
  });

  it('keys survive: another backend object over the same storage sees them', async () => {
    const { first, again } = make();
    const one = new IdempotencyCache({ name: 'persist', backend: first });
    for (const k of ['a', 'b', 'with space', 'quote"and\\slash', 'line\nbreak', '']) await one.mark(k);
    await one.delete('b');
    await one.close();
    const two = new IdempotencyCache({ name: 'persist', backend: again() });
    const seen = await Promise.all(['a', 'b', 'with space', 'quote"and\\slash', 'line\nbreak', '', 'zzz'].map((k) => two.seen(k)));
    expect(seen).toEqual([true, false, true, true, true, true, false]);
    await two.close();
  });

  it('caches with different names are apart; clear() also forgets @Idempotent results recorded in the cache', async () => {
    const { first } = make();
    const a = new IdempotencyCache({ name: 'a', backend: first });
    const b = new IdempotencyCache({ name: 'b', backend: first });
    await a.mark('k');
    expect(await b.seen('k')).toBe(false);
    let calls = 0;
    const f = idempotent(async function inCache() {
      return ++calls;
    }, { key: () => 'k', cache: a });
    expect([await f(), await f()]).toEqual([1, 1]);
    await a.clear();
    expect(await a.seen('k')).toBe(false);
    expect(await f()).toBe(2);
    await a.close();
    await b.close();
  });

  it('marks expire after ttlMs; marking again renews the expiry', async () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const { first, again } = make();
      const cache = new IdempotencyCache({ name: 'ttl', backend: first, ttlMs: 80 });
      await cache.mark('a');
      await cache.mark('b');
      expect(await cache.seen('a')).toBe(true);
      now += 50;
      await cache.mark('b');
      now += 50;
      expect(await cache.seen('a')).toBe(false);
      expect(await cache.seen('b')).toBe(true);
      expect(await cache.delete('a')).toBe(false);
      await cache.close();
      const later = new IdempotencyCache({ name: 'ttl', backend: again() });
      expect(await later.seen('b')).toBe(true); // the expiry is stored with the key
      now += 30;
      expect(await later.seen('b')).toBe(false);
      await later.close();
    } finally {
      clock.mockRestore();
    }
  });
});

describe('IdempotencyCache storage', () => {
  it('marks append one small record each: no whole-set rewrite per mark', async () => {
    const backend = new CountingBackend();
    const cache = new IdempotencyCache({ name: 'big', backend });
    for (let i = 0; i < 5000; i++) await cache.mark(`user-${i}`);
    const saves = backend.saves.filter((s) => s.name === storeName('big'));
    const appends = backend.appends.filter((s) => s.name === storeName('big'));
    expect(saves).toHaveLength(1); // the save that starts the series of appends
    expect(appends).toHaveLength(4999);
    expect(Math.max(...appends.map((a) => a.bytes))).toBeLessThan(40);
    // the stamp that tells other processes to re-read the cache is written once per lease
    expect(backend.saves.filter((s) => s.name === `${storeName('big')}#lease`)).toHaveLength(1);
  });

  it('without an append hook each mark saves the whole set (the documented fallback)', async () => {
    const m = new Map<string, string>();
    const backend = new MapBackend(m);
    const sizes: number[] = [];
    const save = backend.save.bind(backend);
    backend.save = async (name: string, data: string) => {
      if (name === storeName('fallback')) sizes.push(data.split('\n').length);
      return save(name, data);
    };
    const cache = new IdempotencyCache({ name: 'fallback', backend });
    for (let i = 0; i < 5; i++) await cache.mark(`k${i}`);
    expect(sizes).toEqual([3, 4, 5, 6, 7]); // header + keys + final newline
  });

  it('compacts once dead records (deleted, replaced) outnumber the live keys', async () => {
    const backend = new CountingBackend();
    const cache = new IdempotencyCache({ name: 'churn', backend });
    const n = COMPACT_MIN_GARBAGE + 100;
    for (let i = 0; i < n; i++) await cache.mark(`k${i}`);
    for (let i = 0; i < n - 10; i++) await cache.delete(`k${i}`);
    const text = (await backend.load(storeName('churn')))!;
    const lines = text.split('\n').filter(Boolean);
    expect(lines.length).toBeLessThan(n); // rewritten since: not 2n records
    expect(backend.saves.filter((s) => s.name === storeName('churn')).length).toBeGreaterThan(1);
    for (const i of [0, n - 11, n - 10, n - 1]) expect(await cache.seen(`k${i}`)).toBe(i >= n - 10);
  });

  it('a damaged store fails with CheckpointCorruptError, never a silent fresh start', async () => {
    const backend = new MemoryBackend();
    await backend.save(storeName('bad'), '{"safestate-idempotency":1,"name":"safe-state:idempotency:cache:bad"}\nm0 "ok"\nq what\n');
    const err = await new IdempotencyCache({ name: 'bad', backend }).seen('ok').catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    expect(err.message).toContain('record 3');
    expect(err.message).toContain("idempotency cache 'bad'");

    await backend.save(storeName('newer'), '{"safestate-idempotency":9,"name":"safe-state:idempotency:cache:newer"}\n');
    await expect(new IdempotencyCache({ name: 'newer', backend }).seen('x')).rejects.toThrow(/newer safe-state.*upgrade/);

    await backend.save(storeName('other'), '{"safestate-idempotency":1,"name":"elsewhere"}\n');
    await expect(new IdempotencyCache({ name: 'other', backend }).seen('x')).rejects.toBeInstanceOf(CheckpointCorruptError);
  });

  it('on FileBackend a torn last record (a crash during a mark) is dropped, the rest kept', async () => {
    const dir = tempDir();
    const one = new IdempotencyCache({ name: 'torn', backend: new FileBackend({ dir }), durability: 'process' });
    await one.mark('a');
    await one.mark('b');
    await one.close();
    const file = new FileBackend({ dir }).location(storeName('torn'));
    fs.appendFileSync(file, '0badc0de m0 "half'); // no newline: cut short
    const two = new IdempotencyCache({ name: 'torn', backend: new FileBackend({ dir: sameDirElsewhere(dir) }) });
    expect([await two.seen('a'), await two.seen('b'), await two.seen('half')]).toEqual([true, true, false]);
    await two.close();
  });

  it('a failing write rejects the mark, which then is not seen', async () => {
    const backend = new MemoryBackend();
    const cache = new IdempotencyCache({ name: 'failing', backend });
    await cache.mark('a');
    backend.appendSync = () => {
      throw new Error('disk full');
    };
    await expect(cache.mark('b')).rejects.toMatchObject({ code: 'BACKEND_ERROR', cause: { message: 'disk full' } });
    expect(await cache.seen('b')).toBe(false);
    delete (backend as Partial<MemoryBackend>).appendSync;
    await cache.mark('c'); // whole save after the failure
    expect([await cache.seen('a'), await cache.seen('c')]).toEqual([true, true]);
  });

  it('validates options, naming the option, and keys', async () => {
    const bad: Array<[unknown, string]> = [
      [{ name: '' }, 'name'],
      [{ name: 3 }, 'name'],
      [{ backend: {} }, 'backend'],
      [{ ttlMs: 0 }, 'ttlMs'],
      [{ ttlMs: NaN }, 'ttlMs'],
      [{ waitMs: -1 }, 'waitMs'],
      [{ durability: 'eventual' }, 'durability'],
      [{ dir: '/tmp' }, 'dir'],
      ['x', 'options'],
    ];
    for (const [options, option] of bad) {
      let err: unknown;
      try {
        new IdempotencyCache(options as any);
      } catch (e) {
        err = e;
      }
      expect({ option, err }).toEqual({ option, err: expect.any(InvalidOptionsError) });
      expect((err as InvalidOptionsError).option).toBe(option);
    }
    const cache = new IdempotencyCache({ backend: new MemoryBackend() });
    expect(cache.name).toBe('default');
    expect(() => cache.seen(1 as any)).toThrow(TypeError);
    expect(() => cache.mark(undefined as any)).toThrow(TypeError);
  });

  it('is usable again after close(), and with await using', async () => {
    const dir = tempDir();
    {
      await using cache = new IdempotencyCache({ name: 'disposable', backend: new FileBackend({ dir }) });
      await cache.mark('a');
    }
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.lock'))).toEqual([]); // given back
    const cache = new IdempotencyCache({ name: 'disposable', backend: new FileBackend({ dir }) });
    expect(await cache.seen('a')).toBe(true);
    await cache.close();
    expect(await cache.seen('a')).toBe(true);
    await cache.close();
  });

  it('another process\'s writes are read again when this one takes the cache back', async () => {
    const dir = tempDir();
    const child = (mode: string, key: string) => runChild([dir, path.join(dir, 'effects.log'), mode, key]);
    const mine = new IdempotencyCache({ name: 'crash', backend: new FileBackend({ dir }) }); // the fixture's cache
    await mine.mark('from-parent');
    await mine.close();
    expect(await child('cache-seen', 'from-parent')).toBe(true);
    expect(await child('cache-mark', 'from-child')).toBe('ok');
    expect(await mine.seen('from-child')).toBe(true); // the stamp changed: read again
    await mine.delete('from-parent');
    await mine.close();
    expect(await child('cache-seen', 'from-parent')).toBe(false);
    expect(await child('cache-delete', 'from-child')).toBe(true);
    expect(await mine.seen('from-child')).toBe(false);
    await mine.close();
  });
});
