/**
 * The measuring loop shared by the benchmark's sections: interleaved rounds of contenders, and the
 * comparison of a contender with its baseline (medians of per-round values).
 */
import { perItemUs, type LoopTiming } from './loop-timing';
import { median, rotation } from './stats';
import { meets, type Measurement, type Per, type Target } from './report';

/** A progress line on stderr (stdout holds the report). */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Numbers 0..n-1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Runs a job and answers its µs per item, checking that it saw every item. */
export async function timed(job: (items: number[]) => Promise<LoopTiming>, items: number[]): Promise<number> {
  const t = await job(items);
  if (t.n !== items.length) throw new Error(`a benchmark job saw ${t.n} of ${items.length} items`);
  return perItemUs(t);
}

export interface Contender {
  name: string;
  /** one measurement: µs per item (or per operation) */
  run(): Promise<number> | number;
}

/** Warms every contender up once, then runs `rounds` rounds in rotating order; samples per contender. */
export async function interleave(section: string, contenders: Contender[], rounds: number): Promise<number[][]> {
  for (const c of contenders) await c.run();
  const samples = contenders.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    progress(`${section}: round ${r + 1}/${rounds}`);
    for (const i of rotation(contenders.length, r)) samples[i].push(await contenders[i].run());
  }
  return samples;
}

/**
 * A contender's samples against its baseline's samples of the same rounds: medians, the median of
 * the per-round ratios and differences, and the target check.
 */
export function measurement(
  id: string,
  label: string,
  items: number,
  baselineLabel: string,
  samples: number[],
  baseline: number[],
  target: Target,
  per: Per = 'item',
): Measurement {
  const ratio = median(samples.map((s, i) => s / baseline[i]));
  const overheadUs = median(samples.map((s, i) => s - baseline[i]));
  const perItem = median(samples);
  const value = target.metric === 'ratio' ? ratio : target.metric === 'perItemUs' ? perItem : overheadUs;
  return {
    id,
    label,
    ...(per === 'item' ? {} : { per }),
    items,
    rounds: samples.length,
    perItemUs: perItem,
    baseline: { label: baselineLabel, perItemUs: median(baseline) },
    ratio,
    overheadUs,
    target,
    value,
    pass: meets(value, target),
    samples: { perItemUs: samples, baselineUs: baseline },
  };
}
