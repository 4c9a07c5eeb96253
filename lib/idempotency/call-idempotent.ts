import { jobContext } from '../engine/job-context';
import { derivedName } from '../engine/job-name';
import { serialize, typeName } from '../state/serializer';
import { reviveValue } from '../reconnect/revive';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import type { Durability, StateBackend } from '../backends/state-backend';
import { recordsOf } from '../backends/transactional-records';
import type { KeyStore } from './key-store';
import type { IdempotentDefinition } from './idempotent-options';
import { IdempotencyCache, claimsReady, storeOf } from './idempotency-cache';
import { leasedStoreAdopted } from './adopt-leased-store';
import { defaultFileBackend } from './store-registry';
import { scopedBackend } from '../config/scoped-backend';
import { configuredBackend } from '../config/default-backend';
import { cacheStoreName, jobStore } from './store-registry';
import { claimsOf, type KeyClaims } from './key-claims';
import { claimedCall } from './claimed-call';
import { idempotencyStoreName } from '../engine/companions';
import { DEFAULT_WAIT_MS } from './idempotency-cache';
import { argsKey } from './args-key';
import { currentTransaction } from '../transaction/current-transaction';
import { onTransactionEnd } from '../transaction/hooks';
import { isSingleSession } from '../transaction/transaction';
import { SafeStateError } from '../errors/safe-state-error';

/** The scope of a definition's records for a this-value: `name`, or the derived `Class.method-<hash>`. @internal */
export function scopeOf(def: IdempotentDefinition, thisArg: unknown): string {
  if (def.options.name !== undefined) return def.options.name;
  if (def.scope !== undefined) return def.scope;
  const base = def.baseName(thisArg);
  if (!base) {
    throw new InvalidOptionsError('name', "@Idempotent name: the function has no name to scope its records by; pass the 'name' option");
  }
  const scope = derivedName(def.module, base, `the records of ${base}`);
  def.scope = scope;
  return scope;
}

function keyOf(def: IdempotentDefinition, thisArg: unknown, args: unknown[], scope: string): string {
  const fn = def.options.key;
  if (!fn) return argsKey(args, scope);
  const k = fn.apply(thisArg, args) as unknown;
  if (typeof k === 'string') return k;
  if (typeof k === 'number' && Number.isFinite(k)) return String(k);
  throw new InvalidOptionsError('key', `@Idempotent key: the key function of ${scope} returned ${typeName(k)}; it must return a string (or a finite number)`);
}

const defaultCaches = new WeakMap<object, IdempotencyCache>();

/** `new IdempotencyCache()` over the default backend (withBackend scope, configure(), SAFE_STATE_URL, the state directory), one per backend. */
function defaultCache(): IdempotencyCache {
  const backend = scopedBackend() ?? configuredBackend() ?? defaultFileBackend();
  let c = defaultCaches.get(backend);
  if (!c) defaultCaches.set(backend, (c = new IdempotencyCache({ backend })));
  return c;
}

interface Target {
  store: KeyStore;
  durability: Durability;
  waitMs: number;
  ttlMs: number | undefined;
}

/** Where a call's result goes when the backend claims per key (Redis, SQL): any number of processes at once. */
interface ClaimTarget {
  claims: KeyClaims;
  /** the backend of a cache (null: a shared job's, whose records are never written inside a transaction) */
  backend: StateBackend | null;
  /** the idempotency store's entry name */
  storeName: string;
  waitMs: number;
  ttlMs: number | undefined;
  /** the cache whose records an older safe-state may have kept under a lease (null: a shared job's, never kept so) */
  cache: IdempotencyCache | null;
}

function claimTargetOf(def: IdempotentDefinition): ClaimTarget | null {
  const { cache, ttlMs } = def.options;
  if (cache) {
    const claims = claimsOf(cache.backend);
    return claims && { claims, backend: cache.backend, storeName: cacheStoreName(cache.name), waitMs: cache.waitMs, ttlMs: ttlMs ?? cache.ttlMs, cache };
  }
  const run = jobContext.getStore();
  if (run) {
    // a job run by one process keeps its records with its checkpoint (under its lock); shared
    // workers run in several processes at once: they claim per key in the job's backend
    const claims = run.shared ? claimsOf(run.backend) : null;
    return claims && { claims, backend: null, storeName: idempotencyStoreName(run.name), waitMs: DEFAULT_WAIT_MS, ttlMs, cache: null };
  }
  const c = defaultCache();
  const claims = claimsOf(c.backend);
  return claims && { claims, backend: c.backend, storeName: cacheStoreName(c.name), waitMs: c.waitMs, ttlMs, cache: c };
}

function targetOf(def: IdempotentDefinition): Target {
  const { cache, ttlMs } = def.options;
  if (cache) return { store: storeOf(cache), durability: cache.durability, waitMs: cache.waitMs, ttlMs: ttlMs ?? cache.ttlMs };
  const run = jobContext.getStore();
  if (run?.shared) {
    // the job's records assume the job's lock: one process; shared workers run in several at once
    throw new InvalidOptionsError('cache', `@Idempotent({ key }) inside the shared job '${run.name}' needs a 'cache' option (an IdempotencyCache), or a backend that claims per key (Redis, SQL); the job's own records on this backend assume a single process`);
  }
  if (run) return { store: jobStore(run), durability: run.writer.writeOptions.durability, waitMs: 0, ttlMs };
  const c = defaultCache();
  return { store: storeOf(c), durability: c.durability, waitMs: c.waitMs, ttlMs };
}

/**
 * One call of an `@Idempotent` method or `idempotent()` function:
 * 1. `check` (when given) runs first; a truthy answer is the result.
 * 2. Unrecorded definitions (check only) then run the body.
 * 3. Recorded ones look their key up (scope + key) in the store of the job, the `cache` option, or
 *    the default cache: a recorded result is replayed (deserialized). A call of the same key that
 *    is running in this process is waited for, and then the lookup is made again (so a failed
 *    call lets the waiter run). Otherwise the body runs, and its result is serialized and recorded
 *    before the call resolves. A thrown error is not recorded. Called inside a `transaction()`
 *    callback whose participant shares the store's backend connection (SqlBackend), the result
 *    is written through that transaction instead, so it commits with the method's writes
 *    (exactly-once); the key counts as running until the transaction ends.
 * On Redis and SQL backends (per-key claims, see claimed-call.ts) a call claims only its key, so
 * any number of processes run calls of one store at once. Elsewhere, while a recorded call runs,
 * this process holds the store (jobs: the job's lock; caches: their lease), so no other process
 * runs a call of that store at the same time.
 * @internal
 */
export async function callIdempotent(def: IdempotentDefinition, thisArg: unknown, args: unknown[], body: (...a: unknown[]) => unknown): Promise<unknown> {
  const check = def.options.check;
  if (check) {
    const answer = await (check as (...a: unknown[]) => unknown).apply(thisArg, args);
    if (answer) return answer;
  }
  if (!def.recorded) return body.apply(thisArg, args);
  const scope = scopeOf(def, thisArg);
  const key = keyOf(def, thisArg, args, scope);
  const scoped = `${scope}\0${key}`;
  const outer = currentTransaction.getStore();
  const claimed = claimTargetOf(def);
  if (claimed) {
    // inside a transaction on the backend's own connection, the result is recorded through it (exactly-once)
    const via = outer && outer.state === 'active' && claimed.backend && claimed.claims.recordThrough ? recordsOf(claimed.backend)?.sharedParticipant(outer.participants) : undefined;
    if (via !== undefined && (!claimed.claims.prepared || (claimed.cache !== null && !leasedStoreAdopted(storeOf(claimed.cache)))) && isSingleSession(outer!, via)) {
      throw new SafeStateError(
        'IDEMPOTENCY_CACHE_NOT_READY',
        `the records of ${scope} are used for the first time inside a transaction on their own database connection: their first use creates their table, which must not join your transaction; use the cache once before (e.g. await cache.seen('')), or give it a pool`,
      );
    }
    const { claims, storeName } = claimed;
    const adopting = claimed.cache && claimsReady(claimed.cache, claims);
    if (adopting) await adopting;
    const claimKey = `r${scoped}`;
    return claimedCall({
      claims,
      store: storeName,
      key: claimKey,
      display: `${scope}(${JSON.stringify(key)})`,
      ttlMs: claimed.ttlMs,
      waitMs: claimed.waitMs,
      body: async () => {
        const value = await body.apply(thisArg, args);
        return { value, text: serialize(value, `result of ${scope}(${JSON.stringify(key)})`) };
      },
      replay: (text) => reviveValue(text, 'result'),
      transaction:
        via === undefined
          ? undefined
          : {
              tx: outer!,
              record: (token, text) => claims.recordThrough!(via, outer!.of(via), storeName, claimKey, token, text, claimed.ttlMs),
              onEnd: (fn) => onTransactionEnd(outer!, fn),
            },
    });
  }
  const { store, durability, waitMs, ttlMs } = targetOf(def);
  const shared = outer && outer.state === 'active' ? store.sharedParticipant(outer) : null;
  if (!(shared && store.tryPin())) {
    if (outer && shared && store.leased && !store.everLoaded && isSingleSession(outer, shared.participant)) {
      // taking the cache's lease (and creating its table) would run inside the caller's transaction
      throw new SafeStateError(
        'IDEMPOTENCY_CACHE_NOT_READY',
        `${store.display} is used for the first time inside a transaction on its own database connection: its first use creates its table and takes its lease, which must not join your transaction; use the cache once before (e.g. await cache.seen('')), or give it a pool`,
      );
    }
    await store.pin(waitMs);
  }
  // when the result is recorded inside the caller's transaction, the key stays "running" (and the
  // store pinned) until that transaction ends: only then is the record committed or gone
  let handedOff = false;
  try {
    for (;;) {
      const recorded = store.result(scoped);
      if (recorded) return await reviveValue(recorded.text, 'result');
      // recorded earlier in the transaction this call runs in (waiting for its end would never end)
      const mine = store.uncommitted.get(scoped);
      if (mine && mine.tx === outer) return await reviveValue(mine.result.text, 'result');
      const running = store.running.get(scoped);
      if (!running) break;
      await running;
    }
    let settle!: () => void;
    store.running.set(scoped, new Promise<void>((r) => (settle = r)));
    const end = () => {
      store.running.delete(scoped);
      settle();
    };
    try {
      const result = await body.apply(thisArg, args);
      const text = serialize(result, `result of ${scope}(${JSON.stringify(key)})`);
      const stored = { expires: ttlMs === undefined ? 0 : Date.now() + ttlMs, text };
      const tx = outer;
      if (tx && shared && tx.state === 'active') {
        await store.putResultInTransaction(tx, shared, scoped, stored, durability);
        handedOff = true;
        store.uncommitted.set(scoped, { tx, result: stored });
        onTransactionEnd(tx, (outcome) => {
          store.uncommitted.delete(scoped);
          if (outcome === 'commit') store.publishResult(scoped, stored);
          else if (outcome === 'partial') store.invalidate();
          end();
          store.unpin();
        });
      } else {
        await store.putResult(scoped, stored, durability);
      }
      return result;
    } finally {
      if (!handedOff) end();
    }
  } finally {
    if (!handedOff) store.unpin();
  }
}
