import { SafeStateError, hasCode } from './safe-state-error';

/**
 * A value in saved state can neither be serialized nor rebuilt by a registered reconnector.
 * The message names the property path and the value's type, e.g. `state.client.socket (Socket)`.
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
   * @param options - standard `ErrorOptions`
   */
  constructor(path: string, valueType: string, options?: ErrorOptions) {
    super('UNSERIALIZABLE_STATE', `cannot save ${path} (${valueType}): it is neither serializable nor handled by a registered reconnector (see registerReconnector)`, options);
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
