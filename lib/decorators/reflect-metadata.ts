/**
 * Job and idempotency metadata for frameworks that read it through reflect-metadata
 * (`Reflect.getMetadata(key, Class.prototype, method)`).
 *
 * safe-state does not load reflect-metadata itself: loading it costs a few milliseconds at every
 * process start (more on a busy machine), which a resumed job would pay before its first item, and
 * it would install `Reflect.getMetadata` and friends globally in applications that never asked for
 * them. Frameworks that discover classes through reflect-metadata load it at their start
 * (`import 'reflect-metadata'`), before any job class is instantiated; from then on every decorated
 * method is described there as well, from the decorator's initializer (that is, when an instance is
 * constructed). The standard decorator metadata (`Class[Symbol.metadata]`) needs nothing.
 * @internal
 */

/** The part of the reflect-metadata API used here (present once someone loaded it). */
interface ReflectMetadataApi {
  defineMetadata(key: unknown, value: unknown, target: object, property: string | symbol): void;
  hasOwnMetadata(key: unknown, target: object, property: string | symbol): boolean;
}

/**
 * Describes `target[method]` under `key` through reflect-metadata, when it is loaded and the method
 * is not described already (a subclass instance must not overwrite its base class's record).
 * @internal
 */
export function defineReflectedMetadata(key: string, target: object, method: string | symbol, value: unknown): void {
  const api = Reflect as unknown as Partial<ReflectMetadataApi>;
  if (typeof api.defineMetadata !== 'function' || typeof api.hasOwnMetadata !== 'function') return;
  if (!api.hasOwnMetadata(key, target, method)) api.defineMetadata(key, value, target, method);
}
