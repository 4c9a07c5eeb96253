import { SafeStateError, hasCode } from './safe-state-error';

/**
 * A multi-connection transaction committed on some participants and not on others.
 *
 * Without `twoPhase`: a commit failed after earlier participants had committed; `committed` lists
 * those, `rolledBack` the failing one and every later one. With `twoPhase`: the decision was
 * commit, but phase 2 could not reach some participants; they stay prepared and are listed in
 * `pending` until recovery (the next two-phase `transaction()` on them, or `recoverTransactions()`)
 * commits them. Participants are named `#<position> <description>`.
 *
 * @example
 * ```ts
 * catch (e) { if (PartialCommitError.is(e)) console.error(e.committed, e.rolledBack, e.pending, e.cause); }
 * ```
 */
export class PartialCommitError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'PARTIAL_COMMIT';
  /** Descriptions of participants that committed. */
  readonly committed: string[];
  /** Descriptions of participants that rolled back. */
  readonly rolledBack: string[];
  /** Descriptions of participants whose commit is decided but not yet done (two-phase only). */
  readonly pending: string[];

  /**
   * @param committed - participants that committed
   * @param rolledBack - participants that rolled back
   * @param options - standard `ErrorOptions` with the failing commit's error as `cause`, and the
   *   participants whose decided commit is still `pending`
   */
  constructor(committed: string[], rolledBack: string[], options?: ErrorOptions & { pending?: string[] }) {
    const pending = options?.pending ?? [];
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      'PARTIAL_COMMIT',
      `transaction partially committed${cause}; committed [${committed.join(', ')}], rolled back [${rolledBack.join(', ')}]` +
        (pending.length ? `, commit pending recovery [${pending.join(', ')}]` : ''),
      options,
    );
    this.committed = committed;
    this.rolledBack = rolledBack;
    this.pending = pending;
  }
  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is PartialCommitError {
    return error instanceof PartialCommitError || hasCode(error, 'PARTIAL_COMMIT');
  }
}
