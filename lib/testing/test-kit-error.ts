import { SafeStateError } from '../index';

/**
 * The test kit (`safe-state/testing`) was used in a way it cannot serve: the function given to
 * `testJob()` started no safe-state job, or two runs of one `testJob()` overlapped. Bad values of
 * `t.run()` options fail with {@link InvalidOptionsError} naming the option instead.
 *
 * (It lives beside the kit rather than in lib/errors/ because the kit is a bundle of its own that
 * takes every public class from the main entry, so that `instanceof SafeStateError` holds for it.)
 *
 * @example
 * ```ts
 * const t = testJob(() => Promise.resolve());   // no job in it
 * await t.run();                                 // rejects with TestKitError (code TEST_KIT)
 * ```
 */
export class TestKitError extends SafeStateError {
  /** The stable code of this error kind. */
  static readonly CODE = 'TEST_KIT';

  /** @param message - what went wrong and what to do */
  constructor(message: string) {
    super('TEST_KIT', message);
  }

  /**
   * Type guard (also matches errors from another loaded copy of safe-state).
   * @param error - any thrown value
   */
  static override is(error: unknown): error is TestKitError {
    if (error instanceof TestKitError) return true;
    const e = error as { code?: unknown; name?: unknown } | null;
    return typeof e === 'object' && e !== null && e.code === 'TEST_KIT' && e.name === 'TestKitError';
  }
}
