import { newToken } from '../backends/shared-chunk-codec';
import { recordsOf } from '../backends/transactional-records';
import { asBackendError } from '../engine/backend-call';
import { emitEngineWarning } from '../engine/logger';
import type { KeyClaims } from './key-claims';
import type { KeyStore } from './key-store';
import { live } from './store-codec';

/** Code of the process warning that says a cache's records were moved into per-key records. @internal */
export const IDEMPOTENCY_ADOPTED = 'SAFE_STATE_IDEMPOTENCY_ADOPTED';

/** How many keys are moved at once (one round trip each, in parallel). @internal */
export const ADOPT_BATCH = 32;

/** Per store: the adoption under way (a promise), or `true` once this process knows nothing is left. */
const adoptions = new WeakMap<KeyStore, Promise<void> | true>();

/**
 * A cache on Redis or SQL kept its marks and `@Idempotent` results in one store entry, used by one
 * process at a time under a lease, before those backends claimed per key (FileBackend and
 * MemoryBackend still keep that format). Per-key claims never read that entry, so without this a
 * key recorded there would run its effect again after an upgrade.
 *
 * The first use of such a cache in a process moves what the entry holds into per-key records,
 * once: under the store's lease (so a process of the older version that still uses it finishes
 * first), each live mark and result becomes a record of its own with its remaining expiry unless
 * the key has a record already (a result is claimed, then recorded, as a call would), and then
 * the entry and its transactional records are deleted. A crash midway leaves the entry: the next
 * process moves it again (a key already moved is skipped). A process that finds no entry pays one
 * look (two on SQL: the entry and the transactional records).
 *
 * Answers null when nothing is left to do in this process (the hot path: no await), else the
 * promise of the adoption, which callers await before their first claim.
 * @internal
 */
export function adoptLeasedStore(store: KeyStore, claims: KeyClaims, waitMs: number): Promise<void> | null {
  const known = adoptions.get(store);
  if (known === true) return null;
  if (known) return known;
  const p = adopt(store, claims, waitMs).then(
    () => {
      adoptions.set(store, true);
    },
    (e: unknown) => {
      adoptions.delete(store); // the next use tries again
      throw e;
    },
  );
  adoptions.set(store, p);
  return p;
}

/**
 * Deletes the store's entry without moving it (`IdempotencyCache.clear()`: every key is forgotten
 * anyway, and an entry that cannot be read must not stand in the way of clearing it).
 * @internal
 */
export async function dropLeasedStore(store: KeyStore): Promise<void> {
  const moving = adoptions.get(store);
  if (moving && moving !== true) await moving.catch(() => undefined); // else it could put keys back after the clear
  try {
    await store.backend.delete(store.storeName);
  } catch (e) {
    throw asBackendError(e, `cannot delete the records of ${store.display} kept before per-key claims`);
  }
  adoptions.set(store, true);
}

/** Whether this process knows the store has nothing left to move (its first use is over). @internal */
export function leasedStoreAdopted(store: KeyStore): boolean {
  return adoptions.get(store) === true;
}

/** Whether the store's entry, or a transactional record of it, exists. */
async function leftBehind(store: KeyStore): Promise<boolean> {
  try {
    if (await store.backend.exists(store.storeName)) return true;
    const records = recordsOf(store.backend);
    return records !== null && (await records.readRecords(store.storeName)).length > 0;
  } catch (e) {
    throw asBackendError(e, `cannot look for the records of ${store.display} kept before per-key claims`);
  }
}

async function adopt(store: KeyStore, claims: KeyClaims, waitMs: number): Promise<void> {
  if (!(await leftBehind(store))) return;
  await store.pin(waitMs); // the store's lease, then its whole text read into memory
  try {
    const now = Date.now();
    const ttl = (expires: number) => (expires === 0 ? undefined : Math.max(1, expires - now));
    const moves: (() => Promise<boolean>)[] = [];
    for (const [key, expires] of store.entries.marks) {
      if (!live(expires, now)) continue;
      moves.push(async () => {
        if ((await claims.read(store.storeName, `m${key}`)) !== null) return false;
        await claims.put(store.storeName, `m${key}`, '', ttl(expires));
        return true;
      });
    }
    for (const [key, result] of store.entries.results) {
      if (!live(result.expires, now)) continue;
      moves.push(async () => {
        const token = newToken();
        const answer = await claims.claim(store.storeName, `r${key}`, token, claims.leaseMs);
        if (answer.kind !== 'won') return false; // recorded already, or being run by a process that adopted first
        return claims.record(store.storeName, `r${key}`, token, result.text, ttl(result.expires));
      });
    }
    let moved = 0;
    for (let i = 0; i < moves.length; i += ADOPT_BATCH) {
      for (const done of await Promise.all(moves.slice(i, i + ADOPT_BATCH).map((m) => m()))) if (done) moved++;
    }
    await store.clear('strict'); // the entry (SqlBackend.delete takes its transactional records with it)
    if (moved > 0) {
      emitEngineWarning(
        `${store.display}: moved ${moved} key(s) (marks and @Idempotent results) kept by an older safe-state in one store entry under a lease into per-key records; the entry is deleted. ` +
          'This happens once per cache. Processes of the older version still running would not see keys recorded from now on: stop them.',
        IDEMPOTENCY_ADOPTED,
      );
    }
  } finally {
    store.unpin();
  }
  await store.close(); // the lease, at once
}
