import { BackendError } from '../errors/backend-error';
import { SafeStateError } from '../errors/safe-state-error';

/** Errors of third-party backends become {@link BackendError}s with the original as `cause`. @internal */
export function asBackendError(e: unknown, what: string): SafeStateError {
  if (SafeStateError.is(e)) return e;
  return new BackendError(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
