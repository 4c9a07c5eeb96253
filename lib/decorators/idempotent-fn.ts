import { definitionModule, underivableName, NO_MODULE } from '../engine/job-name';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { validateIdempotentOptions, type IdempotentCheck, type IdempotentDefinition, type IdempotentOptions } from '../idempotency/idempotent-options';
import { callIdempotent } from '../idempotency/call-idempotent';

/**
 * The plain-function form of {@link Idempotent}: returns a version of `fn` whose calls are
 * checked (`check`) and/or recorded once per key (`key`, or the serialized arguments when neither
 * is given), with the same rules. Records are scoped by `name`, default the function's name plus a
 * short hash of the calling module's path (an anonymous function needs `name` when recorded).
 *
 * @example
 * ```ts
 * const charge = idempotent(
 *   async (orderId: string, cents: number) => (await stripe.charges.create({ amount: cents })).id,
 *   { key: (orderId) => orderId, name: 'charge-order' },
 * );
 * const id = await charge('o-17', 1200); // a later call with 'o-17' replays the id
 * ```
 * @typeParam F - the function's type, kept by the wrapper
 * @param fn - an async function
 * @param options - {@link IdempotentOptions}, or a check function
 */
export function idempotent<F extends (...args: any[]) => Promise<any>>(
  fn: F,
  options?: IdempotentOptions<ThisParameterType<F>, Parameters<F>, Awaited<ReturnType<F>>> | IdempotentCheck<ThisParameterType<F>, Parameters<F>, Awaited<ReturnType<F>>>,
): F {
  if (typeof fn !== 'function') throw new TypeError(`idempotent(fn, options): fn must be a function (got ${typeof fn})`);
  const opts = validateIdempotentOptions(options);
  const recorded = opts.key !== undefined || opts.check === undefined;
  let module = NO_MODULE; // the defining module scopes records without a name
  if (recorded && opts.name === undefined) {
    if (!fn.name) throw new InvalidOptionsError('name', "idempotent(fn, options) name: fn has no name to scope its records by; pass the 'name' option");
    module = definitionModule(idempotent);
    if (module.reason !== null) throw new InvalidOptionsError('name', underivableName(`the records of idempotent(${fn.name})`, module.reason));
  }
  const def: IdempotentDefinition = { options: opts, recorded, module, baseName: () => fn.name || null };
  const wrapper = function (this: unknown, ...args: unknown[]) {
    return callIdempotent(def, this, args, fn);
  } as unknown as F;
  Object.defineProperty(wrapper, 'name', { value: fn.name, configurable: true });
  return wrapper;
}
