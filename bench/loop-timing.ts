/**
 * What a benchmark loop body reports: when it got its first item and when the loop ended
 * (`performance.now()` ms), how many items it saw, and their sum (so the work cannot be dropped).
 *
 * The window [first, end] of a tracked loop over n items holds exactly n completions, so n saves
 * at saveEvery 1: item k counts as done when the loop asks for item k + 1, the last one when the
 * loop asks for the end. Per-run costs (lock, load, first save, delete, unlock) fall outside it
 * and are measured on their own.
 */
export interface LoopTiming {
  first: number;
  end: number;
  n: number;
  sum: number;
}

/** Microseconds per item of a loop window (NaN when the loop saw no item). */
export function perItemUs(t: LoopTiming): number {
  return t.n > 0 ? ((t.end - t.first) * 1000) / t.n : NaN;
}
