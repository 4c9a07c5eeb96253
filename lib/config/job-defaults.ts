import type { SafeStateOptions } from '../engine/options';
import { configuredDefaults } from './configure';

const merged = new WeakMap<SafeStateOptions, { from: object; options: SafeStateOptions }>();

/**
 * A job's options with the {@link configure} defaults filled in where the job leaves an option out
 * (`backend` and `stateDir` excepted: the engine resolves them, see default-backend.ts). Without
 * configured defaults this is the job's own options object; with them, the merge is made once per
 * options object and configuration, not per call. Called once per job call, never per item.
 * @internal
 */
export function withDefaults(options: SafeStateOptions): SafeStateOptions {
  const c = configuredDefaults();
  if (!c) return options;
  const hit = merged.get(options);
  if (hit && hit.from === c) return hit.options;
  const { backend: _b, stateDir: _d, ...defaults } = c;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  const result = Object.freeze(out) as SafeStateOptions;
  merged.set(options, { from: c, options: result });
  return result;
}
