/**
 * Small statistics for noisy machines: medians of repeated, interleaved measurements.
 */

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Smallest value of a non-empty list. */
export function min(values: readonly number[]): number {
  if (values.length === 0) throw new Error('min of an empty list');
  return Math.min(...values);
}

/**
 * The order in which round `round` runs `count` contenders: a rotation, so that no contender
 * always runs first (cold caches) or right after another one (its garbage, its dirty pages).
 */
export function rotation(count: number, round: number): number[] {
  return Array.from({ length: count }, (_, i) => (i + round) % count);
}
