import { inspect } from 'node:util';
import { withoutSecrets } from '../util/secret-fields';

/**
 * What `safe-state show` prints in place of a value under a secret-marking name: `[redacted]` in
 * the text output, `{ "$redacted": true }` with `--json`.
 * @internal
 */
export class Redacted {
  /** util.inspect prints `[redacted]`, without quotes (it is no string of the checkpoint). */
  [inspect.custom](): string {
    return '[redacted]';
  }
}

const REDACTED = Object.freeze(new Redacted());

/**
 * A value read from a checkpoint, for display: values under names that mark a secret (at every
 * depth of plain objects, arrays, Maps and Sets) become {@link Redacted}, URL passwords `***`.
 * The stored checkpoint is not changed.
 * @internal
 */
export function redactForDisplay(value: unknown): unknown {
  return withoutSecrets(value, { replace: () => REDACTED });
}
