/**
 * The handles `tx.of(conn)` hands out are guarded views of the driver's objects: the same
 * prototype and methods (so `instanceof` and types hold), but once the transaction has committed
 * or rolled back, every use throws a clear error instead of running a query outside the
 * transaction (on a single connection: in autocommit mode) or on a pool connection that already
 * belongs to someone else.
 *
 * Methods are called on the real object (never on the proxy), so drivers with native or private
 * state (better-sqlite3) work; a method taken off the handle is checked when it is called.
 * @internal
 */
export function guardHandle<T>(target: T, closedError: () => Error): { handle: T; close(): void } {
  if ((typeof target !== 'object' && typeof target !== 'function') || target === null) {
    return { handle: target, close: () => undefined };
  }
  let closed = false;
  const wrapped = new Map<PropertyKey, { original: Function; wrapper: Function }>();
  const obj = target as unknown as object;
  const handler: ProxyHandler<any> = {
    get(t, prop) {
      if (closed) {
        // let inspection and `await` of a stale handle behave (no `then`), everything else throws
        if (prop === 'then' || typeof prop === 'symbol') return undefined;
        throw closedError();
      }
      const value = Reflect.get(t, prop, t);
      if (typeof value !== 'function' || prop === 'constructor') return value;
      const own = Reflect.getOwnPropertyDescriptor(t, prop);
      if (own && !own.configurable && !own.writable && 'value' in own) return value; // a proxy must return such values unchanged
      const cached = wrapped.get(prop);
      if (cached && cached.original === value) return cached.wrapper;
      const wrapper = function (this: unknown, ...args: unknown[]) {
        if (closed) throw closedError();
        return Reflect.apply(value, t, args);
      };
      wrapped.set(prop, { original: value, wrapper });
      return wrapper;
    },
    set(t, prop, value) {
      if (closed) throw closedError();
      return Reflect.set(t, prop, value, t);
    },
    apply(t, _thisArg, args) {
      if (closed) throw closedError();
      return Reflect.apply(t, t, args);
    },
  };
  return {
    handle: new Proxy(obj, handler) as T,
    close: () => {
      closed = true;
      wrapped.clear();
    },
  };
}
