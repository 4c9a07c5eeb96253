import * as fs from 'node:fs';
import { SafeState } from 'safe-state';

/** A job in an ES module project (nodenext), with a derived name. */
export class Import {
  @SafeState
  async run(items: number[], failAt: number): Promise<void> {
    for (const item of items) {
      if (item === failAt) throw new Error(`stopped at ${item}`);
      fs.appendFileSync(process.env.SEEN_LOG!, `${item}\n`);
    }
  }
}
