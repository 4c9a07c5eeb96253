import * as fs from 'node:fs';
import { SafeState } from 'safe-state';

/** The tiny decorated job every toolchain builds or runs: a bare `@SafeState` (a derived name). */
export class Nightly {
  @SafeState
  async run(items: number[]): Promise<void> {
    const failAt = process.env.FAIL_AT ? Number(process.env.FAIL_AT) : -1;
    for (const item of items) {
      if (item === failAt) throw new Error(`stopped at ${item}`);
      fs.appendFileSync(process.env.SEEN_LOG!, `${item}\n`);
    }
  }
}
