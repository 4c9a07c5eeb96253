import { isContext } from './decorator-support';
import { applyLegacy, legacyCall } from './legacy-call';
import { NO_MODULE, type DefinitionModule } from '../engine/job-name';

/**
 * How one of safe-state's method decorators is built, for {@link dualDecoratorCall}.
 * @internal
 */
export interface DualDecoratorSpec<O> {
  /** the standard decorator: wraps `value` for `context` with `options` */
  decorate(value: unknown, context: ClassMethodDecoratorContext, options: O, module: DefinitionModule): unknown;
  /** the options of a bare use (`@Dec` without a call) */
  bareOptions: O;
  /** whether a one-argument call is a bare legacy use rather than `@Dec(options)` */
  bareSingle(arg: unknown): boolean;
  /** validates the argument of `@Dec(arg)` */
  options(arg: unknown): O;
  /** whether the options need the defining module (for a default name or scope) */
  needsModule(options: O): boolean;
  /** the TypeError message for a call that is neither form */
  badCall: string;
}

/**
 * One export for both decorator proposals, as in MobX 6: a bare use in the standard form
 * (`(value, context)`) or the legacy one (`(target, key, descriptor)`), or a call with options that
 * returns a decorator which again accepts either form. Both forms end in `spec.decorate`, so they
 * share one wrapper, one default name and one checkpoint.
 *
 * The exported decorator passes `definitionModule(itself)`, computed in its own frame: it returns
 * this function's result directly, and runtimes with proper tail calls (Bun's JavaScriptCore) drop
 * its frame here, so no stack captured below would still hold it.
 * @param args - the arguments the exported decorator received
 * @param spec - the decorator's parts
 * @param module - the defining module, `definitionModule(<the exported decorator>)`
 * @internal
 */
export function dualDecoratorCall<O>(args: readonly unknown[], spec: DualDecoratorSpec<O>, module: DefinitionModule): unknown {
  const [a, b] = args;
  if (isContext(b)) return spec.decorate(a, b as ClassMethodDecoratorContext, spec.bareOptions, module);
  const bare = args.length > 1 || spec.bareSingle(a) ? legacyCall(args, true) : null;
  if (bare) return applyLegacy(bare, (value, context) => spec.decorate(value, context, spec.bareOptions, module));
  if (args.length > 1) throw new TypeError(spec.badCall);
  const options = spec.options(a);
  if (!spec.needsModule(options)) module = NO_MODULE;
  return function (...dargs: unknown[]): unknown {
    const [target, context] = dargs;
    if (isContext(context)) return spec.decorate(target, context as ClassMethodDecoratorContext, options, module);
    const legacy = legacyCall(dargs, true);
    if (!legacy) throw new TypeError(spec.badCall);
    return applyLegacy(legacy, (value, ctx) => spec.decorate(value, ctx, options, module));
  };
}
