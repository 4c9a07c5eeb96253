/**
 * `safe-state/testing`: a crash-testing kit for your jobs. The real engine runs; only storage (an
 * in-memory backend of each test's own) and the crash are simulated. See docs/testing.md.
 *
 * @example
 * ```ts
 * import { testJob } from 'safe-state/testing';
 * const t = testJob(() => new Import(db).run(rows));
 * await t.run({ killAt: 5 });
 * const r = await t.run();   // r.resumedAt === 5
 * ```
 *
 * @packageDocumentation
 */
export { testJob, TestJob, type TestRunOptions, type TestRunResult } from './test-job';
export { InjectedFailure } from './simulated-crash';
export { TestKitError } from './test-kit-error';
