import { phaseHook } from '../util/test-phase';

/** `true` in the published build only (see lib/util/test-phase.ts). @internal */
declare const SAFE_STATE_BUILD_WITHOUT_TEST_HOOKS: true | undefined;

/**
 * Test-only instrumentation of the two-phase commit for the crash tests. With
 * `SAFE_STATE_TEST_PHASE_FD` set (see lib/util/test-phase.ts), the coordinator writes `P` once every
 * participant is prepared, `R` once the decision is recorded and `C` after each phase-2 commit.
 * With `SAFE_STATE_TEST_TX_PAUSE` holding one of those letters, it also stops there for good
 * (the first time it gets there), so the parent can SIGKILL it at exactly that point.
 * Disabled (a null check) otherwise, and left out of the published build.
 * @internal
 */
const pauseAt = typeof SAFE_STATE_BUILD_WITHOUT_TEST_HOOKS === 'undefined' ? (process.env.SAFE_STATE_TEST_TX_PAUSE ?? '') : '';
let paused = false;

/** @internal */
export function txTestPoint(p: 'P' | 'R' | 'C'): Promise<void> | undefined {
  if (!phaseHook && !pauseAt) return undefined;
  phaseHook?.(p);
  if (paused || !pauseAt.includes(p)) return undefined;
  paused = true;
  return new Promise<void>(() => {
    setInterval(() => undefined, 60_000); // keep the process alive until it is killed
  });
}
