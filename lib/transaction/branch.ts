import type { AdapterTransaction } from './adapter';
import type { Participant } from './participant';

/** One participant's open transaction inside a {@link Transaction}. @internal */
export interface Branch {
  readonly part: Participant;
  readonly tx: AdapterTransaction;
  /** the branch id with `twoPhase`, else null */
  readonly xid: string | null;
}

/** Rolls every branch back, ignoring failures (an unreachable server rolls back by itself). @internal */
export async function rollbackQuietly(branches: readonly Branch[]): Promise<void> {
  for (const b of branches) {
    try {
      await b.tx.rollback();
    } catch {
      /* not committed either way: the server rolls back what a dead session held */
    }
  }
}
