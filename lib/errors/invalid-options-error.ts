import { SafeStateError, hasCode } from './safe-state-error';

/**
 * An option passed to safe-state is invalid; the message names the option.
 *
 * @example
 * ```ts
 * safeState(fn, { saveEvery: 0 }); // throws InvalidOptionsError: saveEvery must be an integer >= 1 (got 0)
 * ```
 */
export class InvalidOptionsError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'INVALID_OPTIONS';
  /** Name of the offending option. */
  readonly option: string;

  /**
   * @param option - option name
   * @param message - explanation
   */
  constructor(option: string, message: string) {
    super('INVALID_OPTIONS', message);
    this.option = option;
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is InvalidOptionsError {
    return error instanceof InvalidOptionsError || hasCode(error, 'INVALID_OPTIONS');
  }
}
