import type { TransactionAdapter } from './adapter';
import { adapterFor } from './adapter-registry';

/** A connection taking part in a transaction, with its adapter. @internal */
export interface Participant {
  readonly conn: unknown;
  readonly index: number;
  readonly adapter: TransactionAdapter;
  /** `#<index> <description>`, as messages and errors name it */
  readonly label: string;
  /** the object whose transactions must not overlap, or null (a pool) */
  readonly exclusive: object | null;
}

/** Validates the participants argument and finds each one's adapter. @internal */
export function resolveParticipants(conns: unknown, fn: string): Participant[] {
  const list: unknown[] = Array.isArray(conns) ? conns : [conns];
  if (list.length === 0) throw new TypeError(`${fn}: expected at least one connection`);
  const seen = new Set<unknown>();
  const sessions = new Map<object, number>();
  return list.map((conn, index) => {
    if (conn == null) throw new TypeError(`${fn}: participant #${index} is ${conn}`);
    if (seen.has(conn)) throw new TypeError(`${fn}: participant #${index} is the same object as an earlier participant; list each connection once`);
    seen.add(conn);
    const adapter = adapterFor(conn, `participant #${index}`);
    let description = adapter.name;
    try {
      description = adapter.describe?.(conn) ?? adapter.name;
    } catch {
      /* a description is a courtesy */
    }
    const exclusive = adapter.exclusive ? adapter.exclusive(conn) : typeof conn === 'object' || typeof conn === 'function' ? (conn as object) : null;
    if (exclusive) {
      const other = sessions.get(exclusive);
      if (other !== undefined) throw new TypeError(`${fn}: participants #${other} and #${index} are the same database session (e.g. a mysql2 promise connection and its .connection); list it once`);
      sessions.set(exclusive, index);
    }
    return { conn, index, adapter, label: `#${index} ${description}`, exclusive };
  });
}
