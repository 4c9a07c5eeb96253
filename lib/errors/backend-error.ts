import { SafeStateError, hasCode } from './safe-state-error';

/**
 * A state backend failed (I/O error, unreachable server, timeout); `cause` holds the original error.
 *
 * @example
 * ```ts
 * catch (e) { if (BackendError.is(e)) console.error('storage failed:', e.cause); }
 * ```
 */
export class BackendError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'BACKEND_ERROR';
  /**
   * @param message - what failed
   * @param options - standard `ErrorOptions` with the original error as `cause`
   */
  constructor(message: string, options?: ErrorOptions) {
    super('BACKEND_ERROR', message, options);
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is BackendError {
    return error instanceof BackendError || hasCode(error, 'BACKEND_ERROR');
  }
}
