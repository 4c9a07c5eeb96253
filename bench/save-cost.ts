import * as path from 'node:path';
import type { Durability } from '../lib/index';
import { measurement, progress, range } from './measure';
import { alternatingSaves, ResumedJob } from './resumed-job';
import type { Measurement } from './report';

/** Completed items of the two checkpoints compared. */
export const SAVE_COST_DONE = { small: 1_000, large: 1_000_000 } as const;

/**
 * The cost of one save when the checkpoint already holds 1,000 completed items and when it holds
 * 1,000,000: a FileBackend `for..of` job at saveEvery 1 resumed at item 1,000 and at item
 * 1,000,000 of the same input, both running at once and taking turns item by item (so both meet
 * the same disk weather), timed inside the iterator's `next()` over `count` items (one save each:
 * the save, the progress mark, the hand-out of the next item). A progress record is a
 * watermark plus a sparse set, so the two must cost the same (target: within 1.2x). With `count`
 * above 4,096 the window includes journal compactions (full rewrites of the checkpoint), which must
 * not grow with the count of completed items either.
 */
export async function saveCostSection(root: string, durability: Durability, count: number, rounds: number): Promise<Measurement> {
  const items = range(SAVE_COST_DONE.large + count + 1);
  const small = new ResumedJob(path.join(root, `save-${durability}-1k`), `bench-save-${durability}-at-1k`, items, SAVE_COST_DONE.small, durability);
  const large = new ResumedJob(path.join(root, `save-${durability}-1m`), `bench-save-${durability}-at-1m`, items, SAVE_COST_DONE.large, durability);
  await small.prepare();
  await large.prepare();
  await alternatingSaves([small, large], Math.min(count, 100)); // warm-up
  const atSmall: number[] = [];
  const atLarge: number[] = [];
  for (let r = 0; r < rounds; r++) {
    progress(`save cost, durability '${durability}', ${count} items at 1k and at 1M done: round ${r + 1}/${rounds}`);
    // the two jobs take turns item by item; which one goes first alternates between rounds
    const order = r % 2 === 0 ? [small, large] : [large, small];
    const us = await alternatingSaves(order, count);
    atSmall.push(us[order.indexOf(small)]);
    atLarge.push(us[order.indexOf(large)]);
  }
  await small.close();
  await large.close();
  return measurement(
    `save-cost-${durability}-1m-vs-1k`,
    `File '${durability}' save, 1M items done`,
    count,
    'same, 1k items done',
    atLarge,
    atSmall,
    { metric: 'ratio', op: '<=', value: 1.2 },
  );
}
