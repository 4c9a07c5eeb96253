/**
 * The monotonic clock of the diagnostics channels' durations, in ms. `process.hrtime`, not the
 * `performance` global: its first use loads node's perf_hooks (about ten internal modules, 1.7 ms),
 * and every job run reads this clock once before its first item.
 * @internal
 */
export const clock = {
  now(): number {
    return Number(process.hrtime.bigint()) / 1e6;
  },
};
