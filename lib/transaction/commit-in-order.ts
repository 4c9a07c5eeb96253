import { rollbackQuietly, type Branch } from './branch';
import { PartialCommitError } from '../errors/partial-commit-error';

/**
 * The ordinary commit of several participants: one after the other, in the order given. When a
 * commit fails, the failing participant and every later one are rolled back. If nothing had
 * committed yet, the whole transaction is rolled back and the commit's own error is re-thrown;
 * otherwise a {@link PartialCommitError} lists what committed and what rolled back, with the
 * failing commit's error as `cause`.
 * @internal
 */
export async function commitInOrder(branches: readonly Branch[]): Promise<void> {
  const committed: string[] = [];
  for (let i = 0; i < branches.length; i++) {
    try {
      await branches[i]!.tx.commit();
      committed.push(branches[i]!.part.label);
    } catch (error) {
      const rest = branches.slice(i);
      await rollbackQuietly(rest);
      if (committed.length === 0) throw error;
      throw new PartialCommitError(committed, rest.map((b) => b.part.label), { cause: error });
    }
  }
}
