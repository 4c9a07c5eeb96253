import { AsyncLocalStorage } from 'node:async_hooks';
import type { StateBackend } from '../backends/state-backend';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import { globalRegistry } from '../util/global-registry';

/** The scope of {@link withBackend}, one per process (shared by every loaded copy of safe-state). */
function scope(): AsyncLocalStorage<StateBackend> {
  const r = globalRegistry();
  return (r.scopedBackend ??= new AsyncLocalStorage<StateBackend>()) as AsyncLocalStorage<StateBackend>;
}

/**
 * Runs `fn` with `backend` as the storage of every job, `@Idempotent` record and default
 * {@link IdempotencyCache} started inside it (synchronously or from any promise it awaits), winning
 * over the decorator's own `backend`, `configure()` and the environment. Scopes are per async
 * context: tests running in parallel each see their own backend. The backend stays the caller's to
 * close.
 *
 * @example
 * ```ts
 * const backend = new MemoryBackend();
 * await withBackend(backend, () => new Import().run(rows)); // checkpoints go to memory, not .safe_state
 * ```
 * @param backend - the backend to use inside `fn`
 * @param fn - the code to run; its return value (or promise) is returned
 * @throws InvalidOptionsError (option `backend`) when `backend` is not a StateBackend
 */
export function withBackend<T>(backend: StateBackend, fn: () => T): T {
  const b = backend as Partial<StateBackend> | null;
  if (b === null || typeof b !== 'object' || typeof b.load !== 'function' || typeof b.save !== 'function') {
    throw new InvalidOptionsError('backend', 'withBackend: the first argument must be a StateBackend (for example new MemoryBackend())');
  }
  if (typeof fn !== 'function') throw new InvalidOptionsError('fn', 'withBackend: the second argument must be a function');
  return scope().run(backend, fn);
}

/** The backend of the innermost {@link withBackend} scope, if any. @internal */
export function scopedBackend(): StateBackend | undefined {
  const r = globalRegistry();
  return r.scopedBackend ? (r.scopedBackend as AsyncLocalStorage<StateBackend>).getStore() : undefined;
}
