/**
 * Pieces every safe-state method decorator shares: recognising a standard decorator context,
 * the message for a legacy (experimentalDecorators) call, and finding the class that defines a
 * decorated method.
 * @internal
 */

/** Whether `v` is a standard (TC39 stage-3) decorator context. @internal */
export function isContext(v: unknown): v is DecoratorContext {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';
}

/** The TypeError message for a decorator called the legacy way (target, key, descriptor). @internal */
export function legacyMessage(decorator: string, plainForm: string): string {
  return `${decorator} is a standard (TC39 stage-3) decorator, but it was called the legacy way (target, key, descriptor): turn off 'experimentalDecorators' in tsconfig.json, or wrap the function with ${plainForm}(fn, options) instead`;
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
