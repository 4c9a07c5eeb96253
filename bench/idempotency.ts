import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileBackend, IdempotencyCache } from '../lib/index';

/**
 * IdempotencyCache at scale: a cache holding `keys` keys (a million in the full run) against a
 * small one, both on a FileBackend with durability 'process' (so the disk's fsync does not hide
 * the library's own cost), in the same process and directory.
 *
 * - mark: µs per `mark()` of a new key. With an append-capable backend a mark appends one small
 *   record, so the big cache should cost about what the small one does (no whole-set rewrite).
 * - seen: µs per `seen()` (half present keys, half absent), a lookup in memory, against the same
 *   lookups, awaited, in a plain `Map` holding the same keys (what an async lookup among a million
 *   keys costs anyway).
 * - open: µs per key to read the big cache in a fresh cache object (what a new process pays once,
 *   at its first call), against reading the same file and splitting its lines.
 */
export interface IdempotencyBench {
  /** keys in the big cache when the bench started */
  readonly keys: number;
  markBig(): Promise<number>;
  markSmall(): Promise<number>;
  seenBig(): Promise<number>;
  /** the same lookups, awaited, in a plain Map of the same keys (the floor of an async lookup) */
  seenPlain(): Promise<number>;
  /** µs per key of opening the big cache in a fresh cache object (a new FileBackend) */
  openBig(): Promise<number>;
  /** µs per key of `readFileSync` + `split('\n')` of the big cache's file */
  readBig(): number;
  close(): Promise<void>;
}

/** Fills a cache with `keys` keys in `dir` (reporting progress), then answers the measurements. */
export async function idempotencyBench(dir: string, keys: number, ops: number, progress: (m: string) => void): Promise<IdempotencyBench> {
  const backend = new FileBackend({ dir });
  const big = new IdempotencyCache({ name: 'bench-big', backend, durability: 'process' });
  const t0 = performance.now();
  for (let i = 0; i < keys; i++) {
    await big.mark(`user-${i}`);
    if (i > 0 && i % 250_000 === 0) progress(`idempotency: filled ${i} keys`);
  }
  progress(`idempotency: filled ${keys} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  let smallRound = 0;
  let aliases = 0;
  let bigNext = 0;
  const bigFile = backend.location('safe-state:idempotency:cache:bench-big');

  // each measurement starts with the cache in use (its lease taken): what is timed is the operation
  const marks = async (cache: IdempotencyCache, prefix: string) => {
    await cache.seen('warm-up');
    const t = performance.now();
    for (let i = 0; i < ops; i++) await cache.mark(`${prefix}${i}`);
    return ((performance.now() - t) * 1000) / ops;
  };
  const checkHits = (hits: number) => {
    if (hits !== Math.ceil(ops / 2)) throw new Error(`seen() found ${hits} of ${Math.ceil(ops / 2)} present keys`);
  };
  const seens = async (cache: IdempotencyCache) => {
    await cache.seen('warm-up');
    let hits = 0;
    const t = performance.now();
    for (let i = 0; i < ops; i++) {
      if (await cache.seen(i % 2 === 0 ? `user-${(i * 7919) % keys}` : `absent-${i}`)) hits++;
    }
    const us = ((performance.now() - t) * 1000) / ops;
    checkHits(hits);
    return us;
  };
  const plain = new Map<string, number>();
  for (let i = 0; i < keys; i++) plain.set(`user-${i}`, 0);
  const lookup = async (key: string) => plain.get(key) !== undefined;
  const smallCache = async () => {
    const c = new IdempotencyCache({ name: `bench-small-${smallRound++}`, backend, durability: 'process' });
    for (let i = 0; i < 100; i++) await c.mark(`user-${i}`);
    return c;
  };

  return {
    keys,
    markBig: () => marks(big, `new-${bigNext++}-`),
    markSmall: async () => {
      const c = await smallCache();
      const us = await marks(c, 'new-');
      await c.clear();
      await c.close();
      return us;
    },
    seenBig: () => seens(big),
    seenPlain: async () => {
      let hits = 0;
      const t = performance.now();
      for (let i = 0; i < ops; i++) {
        if (await lookup(i % 2 === 0 ? `user-${(i * 7919) % keys}` : `absent-${i}`)) hits++;
      }
      const us = ((performance.now() - t) * 1000) / ops;
      checkHits(hits);
      return us;
    },
    openBig: async () => {
      await big.close(); // give the lease back, so the fresh object can take it
      // another path to the directory: a separate in-memory set, as in a new process (a FileBackend
      // over the same path would share the big cache's, which is already in memory)
      // (the link is to the parent: a state directory that is itself a link is refused)
      const alias = `${path.dirname(dir)}-alias-${aliases++}`;
      fs.symlinkSync(path.dirname(dir), alias);
      const fresh = new IdempotencyCache({ name: 'bench-big', backend: new FileBackend({ dir: path.join(alias, path.basename(dir)) }), durability: 'process' });
      const t = performance.now();
      if (!(await fresh.seen('user-0'))) throw new Error('the reopened cache lost its keys');
      const us = ((performance.now() - t) * 1000) / keys;
      await fresh.close();
      fs.unlinkSync(alias);
      return us;
    },
    readBig: () => {
      const t = performance.now();
      const n = fs.readFileSync(bigFile, 'utf8').split('\n').length;
      if (n < keys) throw new Error(`the big cache's file has ${n} lines`);
      return ((performance.now() - t) * 1000) / keys;
    },
    close: async () => {
      await big.clear();
      await big.close();
      await backend.close();
    },
  };
}
