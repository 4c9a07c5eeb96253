/**
 * The runtime half of the package's split CommonJS build (scripts/split-bundle.ts): `dist/index.js`
 * holds what every job needs, and the parts most jobs never use (the Redis and SQL backends,
 * transactions, `@Idempotent` records) are in `dist/index-lazy.js`, which is required the first
 * time one of them is used. In the main bundle, each export of a lazy part that the rest of the
 * library (or an application) imports is a stand-in made here: a function that loads the lazy
 * bundle when it is first called, constructed (`new`, `extends`) or read from (a static member).
 *
 * The library's sources never import this file: the build writes the imports. Under ts-jest, tsx
 * and the ES module build there is no split and no stand-in.
 * @internal
 */

/** The lazy bundle's modules, by id (a path under lib/ without extension), each as a namespace. */
export type LazyModules = Record<string, Record<string, unknown>>;

let loader: (() => LazyModules) | null = null;
let loaded: LazyModules | null = null;

/** Sets how the lazy bundle is loaded (the main bundle's last statement: a `require` and a link). */
export function setLazyLoader(load: () => LazyModules): void {
  loader = load;
  loaded = null;
}

/** Whether the lazy bundle has been loaded in this process (by any stand-in). */
export function lazyPartsLoaded(): boolean {
  return loaded !== null;
}

function lazyModules(): LazyModules {
  if (loaded) return loaded;
  if (!loader) throw new Error('safe-state: internal error: a lazily loaded part was used before the main bundle finished loading');
  loaded = loader();
  return loaded;
}

/**
 * The stand-in for the function or class `name` exported by the lazy module `id`. Before the lazy
 * bundle is loaded, `x instanceof StandIn` is false without loading it (no instance can exist yet);
 * everything else (calling, `new`, `extends`, reading a static member) loads it and acts on the
 * real function. Not for values that are not functions: the build checks that none is imported
 * lazily (the real export is checked here too, on first use).
 */
export function lazyExport(id: string, name: string): unknown {
  let real: ((...args: unknown[]) => unknown) | null = null;
  const target = { [name]: function () {} }[name] as (...args: unknown[]) => unknown;
  const resolve = (): ((...args: unknown[]) => unknown) => {
    if (real) return real;
    const value = lazyModules()[id]?.[name];
    if (typeof value !== 'function') {
      throw new Error(`safe-state: internal error: the lazily loaded '${name}' of ${id} is ${typeof value}, not a function or class`);
    }
    real = value as (...args: unknown[]) => unknown;
    target.prototype = real.prototype; // `prototype` of a plain function is writable: reads stay consistent
    return real;
  };
  const standIn: unknown = new Proxy(target, {
    apply: (_t, thisArg, args) => Reflect.apply(resolve(), thisArg, args),
    construct: (_t, args, newTarget) => {
      const fn = resolve();
      return Reflect.construct(fn, args, newTarget === standIn ? fn : newTarget) as object;
    },
    get: (_t, key, receiver) => {
      if (key === Symbol.hasInstance && loaded === null) return notYet;
      const fn = resolve();
      return Reflect.get(fn, key, receiver === standIn ? fn : receiver);
    },
    has: (_t, key) => Reflect.has(resolve(), key),
    // `Sub.x = v` on a subclass reaches here with the subclass as receiver: the subclass gets its own x
    set: (_t, key, value, receiver) => {
      const fn = resolve();
      return Reflect.set(fn, key, value, receiver === standIn ? fn : receiver);
    },
    // the real class's parent (a walk up the class chain, as reflect-metadata's, sees the real one)
    getPrototypeOf: () => Reflect.getPrototypeOf(resolve()),
    // the real class's own members, as a mocking library reads and replaces them (jest.spyOn,
    // vi.spyOn: a descriptor read, a defineProperty, and back at restore); `prototype`, which the
    // stand-in owns unconfigurably, is answered with its own (the real one's, set by resolve())
    getOwnPropertyDescriptor: (_t, key) => {
      const fn = resolve();
      const fixed = fixedOwn(target, key);
      if (fixed) return fixed;
      const d = Reflect.getOwnPropertyDescriptor(fn, key);
      return d && !d.configurable ? { ...d, configurable: true } : d;
    },
    defineProperty: (_t, key, descriptor) => descriptor.configurable !== false && !fixedOwn(target, key) && Reflect.defineProperty(resolve(), key, descriptor),
    deleteProperty: (_t, key) => !fixedOwn(target, key) && Reflect.deleteProperty(resolve(), key),
    ownKeys: () => {
      const keys = Reflect.ownKeys(resolve());
      for (const k of Reflect.ownKeys(target)) if (fixedOwn(target, k) && !keys.includes(k)) keys.push(k);
      return keys;
    },
  });
  return standIn;
}

/**
 * An own property of the stand-in's target that it cannot give up or change (`prototype`): a proxy
 * must report those as the target has them.
 */
function fixedOwn(target: object, key: PropertyKey): PropertyDescriptor | undefined {
  const d = Reflect.getOwnPropertyDescriptor(target, key);
  return d && !d.configurable ? d : undefined;
}

/** `instanceof` before the lazy bundle is loaded: nothing it defines has an instance yet. */
function notYet(): boolean {
  return false;
}
