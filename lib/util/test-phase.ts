import { writeSync } from 'node:fs';

/**
 * Test-only instrumentation for the crash tests: when the environment variable
 * `SAFE_STATE_TEST_PHASE_FD` names an open file descriptor, every phase change is written to it as
 * one byte (`B` the job body has an item, `S` a save starts, `F` an fsync starts, `D` a save is done;
 * two-phase transactions: `P` every participant is prepared, `R` the commit decision is recorded,
 * `C` one participant committed in phase 2; exactly-once items: `K` an item's transaction committed
 * with its completion record),
 * synchronously, so a parent that SIGKILLs the process can tell where the kill landed.
 * Disabled (a null check) otherwise.
 * @internal
 */
export type Phase = 'B' | 'S' | 'F' | 'D' | 'P' | 'R' | 'C' | 'K';

/**
 * `true` in the published build only: scripts/build.ts defines it (esbuild `define`) and folds
 * the conditions that test it, so the hooks below and the environment variables that turn them on
 * are not in dist/ at all. Nowhere else is it defined (the tests run lib/ as is, or bundles of it),
 * hence `typeof`. @internal
 */
declare const SAFE_STATE_BUILD_WITHOUT_TEST_HOOKS: true | undefined;

function phaseWriter(): ((p: Phase) => void) | null {
  if (typeof SAFE_STATE_BUILD_WITHOUT_TEST_HOOKS !== 'undefined') return null;
  const fd = Number(process.env.SAFE_STATE_TEST_PHASE_FD);
  return Number.isInteger(fd) && fd > 2 ? (p) => writeSync(fd, p) : null;
}

/** @internal */
export const phaseHook: ((p: Phase) => void) | null = phaseWriter();
