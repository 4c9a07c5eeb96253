import { SafeStateError, hasCode } from './safe-state-error';

/**
 * A multi-connection transaction committed on some participants and rolled back on others.
 *
 * @example
 * ```ts
 * catch (e) { if (PartialCommitError.is(e)) console.error(e.committed, e.rolledBack); }
 * ```
 */
export class PartialCommitError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'PARTIAL_COMMIT';
  /** Descriptions of participants that committed. */
  readonly committed: string[];
  /** Descriptions of participants that rolled back. */
  readonly rolledBack: string[];

  /**
   * @param committed - participants that committed
   * @param rolledBack - participants that rolled back
   * @param options - standard `ErrorOptions` with the failing commit's error as `cause`
   */
  constructor(committed: string[], rolledBack: string[], options?: ErrorOptions) {
    super('PARTIAL_COMMIT', `transaction partially committed: committed [${committed.join(', ')}], rolled back [${rolledBack.join(', ')}]`, options);
    this.committed = committed;
    this.rolledBack = rolledBack;
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is PartialCommitError {
    return error instanceof PartialCommitError || hasCode(error, 'PARTIAL_COMMIT');
  }
}
