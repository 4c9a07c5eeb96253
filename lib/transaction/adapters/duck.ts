import type { AdapterTransaction, TransactionAdapter } from '../adapter';

/**
 * Any object with `beginTransaction()`, `commit()` and `rollback()` methods (the shape of many
 * drivers and of hand-written test doubles). Each method may return a promise, take a Node-style
 * callback, or be synchronous: a returned thenable is awaited; otherwise a method that declares a
 * parameter is given a callback and waited for; otherwise it is done when it returns.
 * Such an object cannot prepare a transaction, so it cannot take part in `twoPhase`.
 */

interface Duck {
  beginTransaction(...args: any[]): unknown;
  commit(...args: any[]): unknown;
  rollback(...args: any[]): unknown;
}

function isDuck(v: unknown): v is Duck {
  if ((typeof v !== 'object' && typeof v !== 'function') || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.beginTransaction === 'function' && typeof o.commit === 'function' && typeof o.rollback === 'function';
}

function call(obj: Duck, method: 'beginTransaction' | 'commit' | 'rollback'): Promise<void> {
  const fn = obj[method] as (...args: unknown[]) => unknown;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const cb = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    let r: unknown;
    try {
      r = fn.length > 0 ? fn.call(obj, cb) : fn.call(obj);
    } catch (e) {
      settled = true;
      reject(e);
      return;
    }
    if (r != null && typeof (r as PromiseLike<unknown>).then === 'function') {
      settled = true;
      (r as PromiseLike<unknown>).then(() => resolve(), reject);
    } else if (fn.length === 0) {
      settled = true;
      resolve();
    }
  });
}

async function begin(obj: Duck): Promise<AdapterTransaction> {
  await call(obj, 'beginTransaction');
  let ended = false;
  return {
    handle: obj,
    async commit() {
      if (ended) throw new Error('transaction already ended');
      await call(obj, 'commit');
      ended = true;
    },
    async rollback() {
      if (ended) return;
      ended = true;
      await call(obj, 'rollback');
    },
  };
}

function typeName(v: object): string {
  const c = (v as { constructor?: { name?: unknown } }).constructor;
  return typeof c?.name === 'string' && c.name ? c.name : 'object';
}

/** The built-in adapter for objects with beginTransaction/commit/rollback. @internal */
export const duckAdapter: TransactionAdapter<Duck> = {
  name: 'beginTransaction/commit/rollback',
  matches: isDuck,
  begin: (obj) => begin(obj),
  describe: (obj) => `${typeName(obj)} (beginTransaction/commit/rollback)`,
  exclusive: (obj) => obj,
};
