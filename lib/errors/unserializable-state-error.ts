import { SafeStateError, hasCode } from './safe-state-error';

/**
 * A value in saved state can neither be serialized nor rebuilt by a registered reconnector, its
 * reconnector cannot describe it (an unconnected socket, an in-memory database), or it is beyond
 * the serialization limits (`SERIALIZATION_LIMITS`). The message names the property path and the
 * value's type, e.g. `state.client.socket (Socket)`.
 *
 * @example
 * ```ts
 * checkpoint({ fn: () => 1 }); // throws UnserializableStateError: state.fn (Function)
 * ```
 */
export class UnserializableStateError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'UNSERIALIZABLE_STATE';
  /** Property path of the offending value, e.g. `state.client.socket`. */
  readonly path: string;
  /** Type name of the offending value. */
  readonly valueType: string;

  /**
   * @param path - property path
   * @param valueType - the value's type name
   * @param options - standard `ErrorOptions`, plus `detail`: why it cannot be saved (default: it
   *   is neither serializable nor handled by a registered reconnector)
   */
  constructor(path: string, valueType: string, options?: ErrorOptions & { detail?: string }) {
    const detail = options?.detail ?? 'it is neither serializable nor handled by a registered reconnector (see registerReconnector)';
    super('UNSERIALIZABLE_STATE', `cannot save ${path} (${valueType}): ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.path = path;
    this.valueType = valueType;
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is UnserializableStateError {
    return error instanceof UnserializableStateError || hasCode(error, 'UNSERIALIZABLE_STATE');
  }
}
