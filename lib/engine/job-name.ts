import { createHash } from 'node:crypto';
import { definingModule, type SourceName } from './identity/defining-module';
import { InvalidOptionsError } from '../errors/invalid-options-error';

/**
 * The module a job (or an `@Idempotent` method) is defined in, told at definition time: its stable
 * id (see lib/engine/identity/module-id.ts), or why none can be told. A decorator that needs a
 * default name and gets a reason refuses at once with `InvalidOptionsError` (option `name`), so a
 * job never runs under a name that another runner would not give it.
 * @param skip - the public function the application called (`SafeState`, `safeState`, ...)
 * @internal
 */
export function definitionModule(skip: (...args: never[]) => unknown): DefinitionModule {
  const m = definingModule(skip);
  return m.id !== undefined ? { id: m.id, reason: null, sourceName: m.sourceName } : { id: null, reason: m.reason, sourceName: null };
}

/**
 * Where a job or `@Idempotent` method was defined, for its default name: the module's stable id (or
 * why there is none), and the check of a class or function name read at run time against the
 * module's source (transpilers and bundlers rename colliding names).
 * @internal
 */
export interface DefinitionModule {
  id: string | null;
  reason: string | null;
  sourceName: ((name: string) => SourceName) | null;
}

/** A {@link DefinitionModule} for definitions that need none (a `name` was given). @internal */
export const NO_MODULE: DefinitionModule = Object.freeze({ id: null, reason: null, sourceName: null });

/**
 * The default name `<base>-<hash>` of a definition, where `base` is `Class.method` or the
 * function's name read at run time; throws `InvalidOptionsError` (option `name`) when the module is
 * unknown or the base's class or function name cannot be traced to its source (a bundler renamed it).
 * @internal
 */
export function derivedName(module: DefinitionModule, base: string, what: string): string {
  if (module.id === null) throw new InvalidOptionsError('name', underivableName(what, module.reason ?? 'its defining module is unknown'));
  const dot = base.indexOf('.');
  const owner = dot < 0 ? base : base.slice(0, dot);
  const checked = module.sourceName?.(owner) ?? { name: owner };
  if (checked.name === undefined) throw new InvalidOptionsError('name', underivableName(what, checked.reason));
  return defaultJobName(checked.name + base.slice(owner.length), module.id);
}

/** `<base>-<8 hex of the module id's hash>`. @internal */
export function defaultJobName(base: string, moduleId: string): string {
  return `${base}-${createHash('sha256').update(moduleId).digest('hex').slice(0, 8)}`;
}

/** The message of the `InvalidOptionsError` for a default name that cannot be derived. @internal */
export function underivableName(what: string, reason: string): string {
  return `name: cannot derive a stable default name for ${what}: ${reason}; pass the 'name' option`;
}
