import { classMetadata } from './metadata';

/**
 * The legacy call form of safe-state's method decorators: under `experimentalDecorators: true`
 * (every NestJS and TypeORM project) TypeScript, esbuild, Babel and SWC call a method decorator as
 * `(target, key, descriptor)` instead of the standard `(value, context)`. A legacy call is turned
 * into the standard one (a context of kind `'method'`, the class's decorator metadata, initializers
 * run once the wrapper is in place), so that both forms share one `decorate()`: the same wrapper,
 * the same default job name (the class that defines the method at run time, plus the defining
 * module's hash) and the same checkpoints. Misuse (a field, getter, setter, class or parameter)
 * gets a context of that kind, so the standard form's `TypeError` is thrown, word for word.
 *
 * As in MobX 6, one export serves both proposals and tells them apart at run time.
 * @internal
 */

/** What a legacy decorator call was applied to, and the context the standard form would get. */
export interface LegacyCall {
  /** the prototype (instance members), the class (static members), or the class (class decorator) */
  target: object;
  /** the decorated member's property descriptor, for a method */
  descriptor: PropertyDescriptor | undefined;
  /** a standard decorator context describing the same declaration */
  context: ClassMethodDecoratorContext;
  /** initializers added through `context` (run by {@link applyLegacy}) */
  initializers: Array<(this: unknown) => void>;
}

/** A class constructor (`class X {}`), as opposed to a function given as an option. @internal */
export function isClassConstructor(v: unknown): v is abstract new (...args: never[]) => unknown {
  if (typeof v !== 'function') return false;
  try {
    return /^class[\s{]/.test(Function.prototype.toString.call(v));
  } catch {
    return false;
  }
}

function nameOf(v: unknown): string {
  const n = (v as { name?: unknown } | null | undefined)?.name;
  return typeof n === 'string' ? n : '';
}

/**
 * The legacy call a decorator received, sorted out: `(target, key, descriptor)` for a method,
 * getter or setter, `(target, key)` or `(target, key, undefined)` for a field, `(target, key, index)`
 * for a parameter, `(Class)` for a class. Null when the arguments are none of these.
 * @param args - the decorator's arguments as received
 * @param classForm - whether a single class argument counts as a (misplaced) class decorator call
 * @internal
 */
export function legacyCall(args: readonly unknown[], classForm: boolean): LegacyCall | null {
  const [target, key, third] = args;
  if (args.length === 1 && classForm && isClassConstructor(target)) {
    return make(target, undefined, 'class', nameOf(target), false);
  }
  if ((typeof target !== 'object' && typeof target !== 'function') || target === null) return null;
  if (typeof third === 'number' && args.length === 3) {
    // a parameter decorator: (prototype or class, method name or undefined for the constructor, index)
    return make(target, undefined, 'parameter', `${key === undefined ? 'constructor' : String(key)}[${third}]`, typeof target === 'function');
  }
  if (typeof key !== 'string' && typeof key !== 'symbol') return null;
  const isStatic = typeof target === 'function';
  if (third === undefined || third === null) {
    // a field (tsc passes `void 0`, esbuild `undefined`); `null` asks for the own descriptor (old helpers)
    const own = third === null ? Object.getOwnPropertyDescriptor(target, key) : undefined;
    if (!own) return make(target, undefined, 'field', key, isStatic);
    return fromDescriptor(target, key, own, isStatic);
  }
  if (typeof third !== 'object') return null;
  return fromDescriptor(target, key, third as PropertyDescriptor, isStatic);
}

function fromDescriptor(target: object, key: string | symbol, d: PropertyDescriptor, isStatic: boolean): LegacyCall {
  if (typeof d.get === 'function') return make(target, d, 'getter', key, isStatic);
  if (typeof d.set === 'function') return make(target, d, 'setter', key, isStatic);
  return make(target, d, 'method', key, isStatic);
}

function make(target: object, descriptor: PropertyDescriptor | undefined, kind: string, name: string | symbol, isStatic: boolean): LegacyCall {
  const initializers: Array<(this: unknown) => void> = [];
  const cls = kind === 'class' ? target : isStatic ? target : (target as { constructor?: unknown }).constructor;
  const context = {
    kind,
    name,
    static: isStatic,
    private: false,
    metadata: typeof cls === 'function' ? classMetadata(cls) : undefined,
    addInitializer(fn: (this: unknown) => void) {
      initializers.push(fn);
    },
    access: {
      has: (o: object) => name in o,
      get: (o: object) => (o as Record<string | symbol, unknown>)[name],
    },
  } as unknown as ClassMethodDecoratorContext;
  return { target, descriptor, context, initializers };
}

/**
 * Runs a standard method decorator (`decorate(value, context)`) for a legacy call and returns the
 * property descriptor the legacy helper installs: the original one with the wrapper as its value.
 * The wrapper is installed here already, so that the initializers (which find the method's owner
 * by the wrapper) run at once; the legacy form has no construction hook, so reflect-metadata must
 * be loaded before the class is defined (as `emitDecoratorMetadata` needs anyway).
 * @param call - the sorted-out legacy call
 * @param decorate - the standard decorator
 * @internal
 */
export function applyLegacy(call: LegacyCall, decorate: (value: unknown, context: ClassMethodDecoratorContext) => unknown): PropertyDescriptor {
  const wrapper = decorate(call.descriptor?.value, call.context); // throws for anything but a method
  const descriptor: PropertyDescriptor = { ...call.descriptor, value: wrapper };
  Object.defineProperty(call.target, call.context.name, descriptor);
  for (const init of call.initializers) init.call(call.target);
  return descriptor;
}
