import type { SafeStateOptions } from './options';
import type { StateBackend } from '../backends/state-backend';
import { FileBackend } from '../backends/file/file-backend';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { scopedBackend } from '../config/scoped-backend';
import { defaultBackend } from '../config/default-backend';
import { derivedName, type DefinitionModule } from './job-name';

/**
 * What a decorator or `safeState()` recorded about a job: its validated options and where it was
 * defined (for the default name). The engine reads it at call time.
 * @internal
 */
export interface JobDefinition {
  options: SafeStateOptions;
  /** `Class.method` (the class that defines the method) or the function's name, for a this-value */
  baseName(thisArg: unknown): string | null;
  /** the module that defined the job (for the default name; {@link NO_MODULE} when `name` is given) */
  module: DefinitionModule;
  /** cache of the derived default name */
  defaultName?: string;
}

/** The job name for one call. @internal */
export function resolveJobName(def: JobDefinition, thisArg: unknown): string {
  const n = def.options.name;
  if (typeof n === 'string') return n;
  if (typeof n === 'function') {
    const v = n(thisArg);
    if (typeof v !== 'string' || v.length === 0) throw new InvalidOptionsError('name', `name: the name function returned ${JSON.stringify(v)}; it must return a non-empty string`);
    return v;
  }
  if (def.defaultName) return def.defaultName;
  const base = def.baseName(thisArg);
  if (!base) {
    throw new InvalidOptionsError('name', "name: cannot derive a default job name: the class or function has no name (a minifier may have dropped it: keep names, e.g. esbuild --keep-names, terser keep_classnames); pass the 'name' option");
  }
  const derived = derivedName(def.module, base, base);
  def.defaultName = derived;
  return derived;
}

/**
 * The backend of a job, and whether the engine created it (and so closes it). Precedence:
 * withBackend() > the decorator's `backend` or `stateDir` > configure() > SAFE_STATE_URL /
 * SAFE_STATE_DIR > `.safe_state` (see docs/configuration.md).
 * @internal
 */
export function resolveBackend(options: SafeStateOptions): { backend: StateBackend; owned: boolean } {
  const scoped = scopedBackend(); // withBackend() wins over everything
  if (scoped) return { backend: scoped, owned: false };
  if (options.backend) return { backend: options.backend, owned: false };
  if (options.stateDir !== undefined) return { backend: new FileBackend({ dir: options.stateDir }), owned: true };
  return defaultBackend();
}
