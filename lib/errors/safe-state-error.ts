/**
 * Base class of every error safe-state throws on its own account.
 *
 * Each subclass carries a stable string {@link SafeStateError.code} that is safe to
 * compare across package versions and across two loaded copies of the package.
 *
 * @example
 * ```ts
 * try { await job.run(items); }
 * catch (e) { if (SafeStateError.is(e)) console.error(e.code, e.message); }
 * ```
 */
export class SafeStateError extends Error {
  /** Stable machine-readable code, e.g. `'JOB_LOCKED'`. */
  readonly code: string;

  /**
   * @param code - stable code of the error kind
   * @param message - human-readable explanation
   * @param options - standard `ErrorOptions` (`cause`)
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /**
   * Type guard that also recognises errors thrown by another loaded copy of safe-state.
   * @param error - any thrown value
   */
  static is(error: unknown): error is SafeStateError {
    return error instanceof SafeStateError || hasCode(error, undefined);
  }
}

/** @internal duck check shared by the subclasses' `is` guards */
export function hasCode(error: unknown, code: string | undefined): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const c = (error as { code?: unknown }).code;
  const n = (error as { name?: unknown }).name;
  return typeof c === 'string' && typeof n === 'string' && n.endsWith('Error') && (code === undefined ? /^[A-Z_]+$/.test(c) && isOurName(n) : c === code);
}

const OUR_NAMES = new Set([
  'SafeStateError', 'InvalidOptionsError', 'JobLockedError', 'CheckpointCorruptError', 'InputChangedError',
  'UnserializableStateError', 'ReconnectError', 'PartialCommitError', 'BackendError', 'NoActiveJobError', 'JobFailuresError',
]);
function isOurName(name: string): boolean {
  return OUR_NAMES.has(name);
}
