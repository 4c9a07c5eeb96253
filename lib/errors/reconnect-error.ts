import { SafeStateError, hasCode } from './safe-state-error';

/**
 * A reconnector failed to rebuild a live object from a checkpoint; `cause` holds the original error.
 *
 * @example
 * ```ts
 * catch (e) { if (ReconnectError.is(e)) console.error(e.reconnector, e.path, e.cause); }
 * ```
 */
export class ReconnectError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'RECONNECT_FAILED';
  /** Name of the reconnector. */
  readonly reconnector: string;
  /** Property path of the live object. */
  readonly path: string;

  /**
   * @param reconnector - reconnector name
   * @param path - property path
   * @param options - standard `ErrorOptions` with the `cause`
   */
  constructor(reconnector: string, path: string, options?: ErrorOptions) {
    super('RECONNECT_FAILED', `reconnector '${reconnector}' failed to rebuild ${path}${options?.cause instanceof Error ? `: ${options.cause.message}` : ''}`, options);
    this.reconnector = reconnector;
    this.path = path;
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is ReconnectError {
    return error instanceof ReconnectError || hasCode(error, 'RECONNECT_FAILED');
  }
}
