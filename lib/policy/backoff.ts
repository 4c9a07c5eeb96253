/**
 * A backoff: the delay before the next try, as an immutable value. `next()` answers the backoff of
 * the try after (the value itself never changes), so one value can be shared, stepped from the
 * start by a run that resumes a retry series, and composed (the same shape as cockatiel's
 * `IBackoff`). The `retry` option builds one with {@link exponentialBackoff}.
 * @internal
 */
export interface Backoff {
  /** Delay in ms before the try this backoff stands for. */
  readonly duration: number;
  /** The backoff of the try after this one. */
  next(): Backoff;
}

/** Parameters of {@link exponentialBackoff} (all required; the `retry` option fills in defaults). @internal */
export interface ExponentialBackoffOptions {
  /** delay before the first retry, ms */
  minDelayMs: number;
  /** upper bound of any delay, ms */
  maxDelayMs: number;
  /** growth per retry (>= 1) */
  factor: number;
  /** fraction (0..1) of each delay that is random: the delay is drawn from `[d * (1 - jitter), d]` */
  jitter: number;
  /** source of randomness in [0, 1) (tests pass a fixed one) */
  random?: () => number;
}

/**
 * `minDelayMs * factor^n`, capped at `maxDelayMs`, with a random part of `jitter` of it ("equal
 * jitter" at 0.5, "full jitter" at 1). The random part is drawn once per value, so reading
 * `duration` twice answers the same delay.
 * @internal
 */
export function exponentialBackoff(o: ExponentialBackoffOptions, retry = 0): Backoff {
  const base = Math.min(o.maxDelayMs, o.minDelayMs * Math.pow(o.factor, retry));
  const duration = o.jitter > 0 ? base * (1 - o.jitter * (o.random ?? Math.random)()) : base;
  return { duration: Math.max(0, Math.round(duration)), next: () => exponentialBackoff(o, retry + 1) };
}

/** The backoff `n` steps after `b` (a run resuming a retry series after a crash). @internal */
export function stepBackoff(b: Backoff, n: number): Backoff {
  let out = b;
  for (let i = 0; i < n; i++) out = out.next();
  return out;
}
