import * as fs from 'node:fs';
import { SafeState } from 'safe-state';

/**
 * The job of the runtime matrix: a bare `@SafeState` over items, each leaving its effect in
 * $SEEN_LOG and then taking DELAY_MS, so that a SIGKILL from outside lands in the middle of a run.
 * Fails with an error at FAIL_AT when that is set.
 */
export class Sweep {
  @SafeState
  async run(items: number[]): Promise<void> {
    const failAt = process.env.FAIL_AT ? Number(process.env.FAIL_AT) : -1;
    const delay = Number(process.env.DELAY_MS ?? 0);
    for (const item of items) {
      if (item === failAt) throw new Error(`stopped at ${item}`);
      fs.appendFileSync(process.env.SEEN_LOG!, `${item}\n`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
