import * as fs from 'node:fs';
import { SafeState, safeState } from 'safe-state';

/** A job with a derived (default) name: bare @SafeState. */
export class Backfill {
  @SafeState
  async run(items: number[], failAt: number): Promise<void> {
    for (const item of items) {
      if (item === failAt) throw new Error(`stopped at ${item}`);
      fs.appendFileSync(process.env.SEEN_LOG!, `${item}\n`);
    }
  }
}

/** The plain-function form, also with a derived name. */
export const backfill = safeState(async function backfill(items: number[]): Promise<number> {
  let n = 0;
  for (const item of items) n += item;
  return n;
});
