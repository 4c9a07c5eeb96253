/**
 * Pieces every safe-state method decorator shares: recognising a standard decorator context,
 * the message for a call that is neither form, and finding the class that defines a decorated
 * method.
 * @internal
 */

/** Whether `v` is a standard (TC39 stage-3) decorator context. @internal */
export function isContext(v: unknown): v is DecoratorContext {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';
}

/**
 * The TypeError message for a decorator called with arguments that are neither the standard
 * `(value, context)` nor the legacy `(target, key, descriptor)` (see legacy-call.ts).
 * @internal
 */
export function badCallMessage(decorator: string, plainForm: string): string {
  return `${decorator} was called with arguments that are neither a standard decorator's (value, context) nor a legacy (experimentalDecorators) decorator's (target, key, descriptor): apply it to a method, or wrap the function with ${plainForm}(fn, options) instead`;
}

/** The prototype (or class, for static methods) that owns `method` as `wrapper`, walking up from `from`. @internal */
export function methodOwner(from: unknown, method: string | symbol, wrapper: unknown): object | null {
  for (let o = from as object | null; o; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.prototype.hasOwnProperty.call(o, method) && (o as Record<string | symbol, unknown>)[method] === wrapper) return o;
  }
  return null;
}

/** Name of the class that defines `method` (walking up from `thisArg`), or of `thisArg`'s class. @internal */
export function ownerName(thisArg: unknown, method: string | symbol, wrapper: unknown, isStatic: boolean): string | null {
  const o = methodOwner(thisArg, method, wrapper);
  const named = (v: unknown) => {
    const n = (v as { name?: unknown } | null | undefined)?.name;
    return typeof n === 'string' && n ? n : null;
  };
  if (o) return named(isStatic ? o : (o as { constructor?: unknown }).constructor);
  return named(isStatic ? thisArg : (thisArg as { constructor?: unknown } | null)?.constructor);
}
