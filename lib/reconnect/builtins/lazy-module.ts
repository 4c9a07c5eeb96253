/**
 * A Node built-in module loaded at its first use instead of at import: node:http, node:https and
 * node:net cost several milliseconds to load at every process start, which a resumed job would pay
 * before its first item although only a job whose saved state holds an agent or a socket needs them.
 * @internal
 */
export function lazyModule<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}

/**
 * Whether `v` is an object whose constructor is named `name`: a cheap test before `instanceof`
 * against a class of a module that may not be loaded yet (an instance of it means it is).
 * @internal
 */
export function constructedBy(v: unknown, name: string): boolean {
  return typeof v === 'object' && v !== null && (v as { constructor?: { name?: unknown } }).constructor?.name === name;
}
