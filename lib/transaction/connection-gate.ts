import { AsyncLocalStorage } from 'node:async_hooks';
import { transactionState } from './shared-state';
import { SafeStateError } from '../errors/safe-state-error';

/**
 * One transaction at a time per single connection: a connection (not a pool) has one session, so
 * two overlapping transactions on it would silently merge (MySQL even commits the first when the
 * second begins). Transactions on the same connection therefore queue in FIFO order; the gates of
 * several connections are taken in a fixed global order so that two transactions over the same
 * connections in different orders cannot deadlock.
 *
 * The connections held by a `transaction()` callback are remembered in AsyncLocalStorage, so a
 * nested `transaction()` on a connection its caller already holds fails at once instead of waiting
 * for itself forever.
 */

const KEY = Symbol.for('safe-state.transaction-held.v1');
const g = globalThis as unknown as Record<symbol, AsyncLocalStorage<ReadonlySet<object>> | undefined>;
/** Connections held by the enclosing `transaction()` callbacks. @internal */
export const heldConnections: AsyncLocalStorage<ReadonlySet<object>> = g[KEY] ?? (g[KEY] = new AsyncLocalStorage<ReadonlySet<object>>());

function gateOf(key: object): { tail: Promise<void>; id: number } {
  const s = transactionState();
  let gate = s.gates.get(key);
  if (!gate) {
    gate = { tail: Promise.resolve(), id: s.nextGateId++ };
    s.gates.set(key, gate);
  }
  return gate;
}

/**
 * Waits for the gates of `keys` (in global order) and returns the function that opens them again.
 * @param describe - names a key for the nested-transaction error
 * @internal
 */
export async function acquireGates(keys: readonly object[], describe: (key: object) => string): Promise<() => void> {
  const held = heldConnections.getStore();
  for (const k of keys) {
    if (held?.has(k)) {
      throw new SafeStateError('NESTED_TRANSACTION', `${describe(k)} is already in a transaction of the enclosing transaction() call: run the queries through the outer tx.of(conn), or use a pool (every transaction then gets its own connection) or a knex transaction (nested transactions become savepoints)`);
    }
  }
  const gates = [...new Set(keys)].map(gateOf).sort((a, b) => a.id - b.id);
  const releases: (() => void)[] = [];
  for (const gate of gates) {
    const prev = gate.tail;
    let open!: () => void;
    gate.tail = new Promise<void>((r) => (open = r));
    releases.push(open);
    await prev;
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const r of releases) r();
  };
}
