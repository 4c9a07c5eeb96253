/**
 * samples/db-backfill, run as a child process: stopped by an error inside a row's transaction, or
 * killed (SIGKILL) right after a row's transaction committed, then resumed. The database must end
 * exactly as after one uninterrupted run: every row backfilled, one audit row per customer. The
 * failed row's transaction must have rolled back (its UPDATE undone), and the row repeated after the
 * kill must not leave a second audit row.
 */
import Database from 'better-sqlite3';
import * as path from 'node:path';
import { cleanUp, runSample, statePattern, verboseLines, workDir, freshLine } from './sample-runner';
import { normalizeEmail, seedEmail } from '../../samples/db-backfill/backfill';

const SCRIPT = 'db-backfill/backfill.ts';
const ROWS = 300;

interface DbState {
  customers: { id: number; email: string; email_normalized: string | null }[];
  audit: { customer_id: number; old_value: string; new_value: string }[];
}

/** The tables of the sample's database in `cwd`, read with better-sqlite3. */
function readDb(cwd: string): DbState {
  const db = new Database(path.join(cwd, 'backfill.db'), { readonly: true, fileMustExist: true });
  try {
    return {
      customers: db.prepare('SELECT id, email, email_normalized FROM customers ORDER BY id').all() as DbState['customers'],
      audit: db.prepare('SELECT customer_id, old_value, new_value FROM backfill_audit ORDER BY customer_id').all() as DbState['audit'],
    };
  } finally {
    db.close();
  }
}

const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** The ids whose derived column is set. */
const backfilledIds = (s: DbState) => s.customers.filter((c) => c.email_normalized !== null).map((c) => c.id);

/** The state after a complete backfill: every row derived, exactly one audit row per customer. */
function expectComplete(s: DbState): void {
  expect(s.customers).toEqual(ids(1, ROWS).map((id) => ({ id, email: seedEmail(id), email_normalized: normalizeEmail(seedEmail(id)) })));
  expect(s.audit).toEqual(ids(1, ROWS).map((id) => ({ customer_id: id, old_value: seedEmail(id), new_value: normalizeEmail(seedEmail(id)) })));
}

afterEach(cleanUp);

describe('samples/db-backfill', () => {
  it('normalizes the seeded emails', () => {
    expect(seedEmail(3)).toBe('  Edsger.0003@Test.io ');
    expect(normalizeEmail(seedEmail(3))).toBe('edsger.0003@test.io');
    expect(normalizeEmail(seedEmail(1))).toBe('grace.0001@example.org');
  });

  it('an error inside row 150\'s transaction rolls its writes back, the row stays undone, and the rerun finishes exactly', async () => {
    const cwd = workDir();
    const first = await runSample(SCRIPT, ['--fail-at', '150'], cwd);
    expect(first.code).toBe(1);
    expect(verboseLines(first.stderr)).toEqual([
      freshLine(cwd, 'db-backfill'),
      "[safe-state] 'db-backfill' failed at item 149: Error: cannot backfill customer 150: unexpected value",
      expect.stringMatching(new RegExp(`^\\[safe-state\\] progress 149/300 saved to ${statePattern(cwd)}/db-backfill-[0-9a-f]{12}\\.safestate$`)),
    ]);
    expect(first.stdout).toBe('this run: 149 rows backfilled\n');
    const partial = readDb(cwd);
    expect(partial.customers).toHaveLength(ROWS);
    expect(backfilledIds(partial)).toEqual(ids(1, 149));
    expect(partial.customers[149]).toEqual({ id: 150, email: seedEmail(150), email_normalized: null }); // its UPDATE rolled back
    expect(partial.audit.map((a) => a.customer_id)).toEqual(ids(1, 149)); // and no audit row for it

    const second = await runSample(SCRIPT, [], cwd);
    expect(second.code).toBe(0);
    expect(verboseLines(second.stderr)).toEqual([
      "[safe-state] resuming 'db-backfill': 149/300 done (run #2)",
      '[safe-state] skipped 149 done items',
      "[safe-state] job 'db-backfill' complete; checkpoint cleared",
    ]);
    expect(second.stdout).toBe('this run: 151 rows backfilled; backfill.db is complete\n');
    expectComplete(readDb(cwd));
  });

  it('killed right after row 200 committed (before it was recorded): the rerun repeats it idempotently', async () => {
    const cwd = workDir();
    const crashed = await runSample(SCRIPT, ['--crash-after', '200'], cwd);
    expect(crashed.signal).toBe('SIGKILL');
    const partial = readDb(cwd);
    expect(backfilledIds(partial)).toEqual(ids(1, 200)); // row 200 committed
    expect(partial.audit.map((a) => a.customer_id)).toEqual(ids(1, 200));

    const rerun = await runSample(SCRIPT, [], cwd);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)[0]).toBe("[safe-state] resuming 'db-backfill': 199/300 done (run #2)");
    expect(rerun.stdout).toBe('this run: 101 rows backfilled; backfill.db is complete\n'); // 200 to 300: row 200 again
    expectComplete(readDb(cwd)); // still one audit row for 200
  });

  it('--exactly-once (checkpoint in the same database): killed right after row 200 committed, the rerun does not repeat it', async () => {
    const cwd = workDir();
    const crashed = await runSample(SCRIPT, ['--exactly-once', '--crash-after', '200'], cwd);
    expect(crashed.signal).toBe('SIGKILL');
    expect(backfilledIds(readDb(cwd))).toEqual(ids(1, 200));

    const rerun = await runSample(SCRIPT, ['--exactly-once'], cwd);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)[0]).toBe("[safe-state] resuming 'db-backfill': 200/300 done (run #2)");
    expect(rerun.stdout).toBe('this run: 100 rows backfilled; backfill.db is complete\n'); // 201 to 300 only
    expectComplete(readDb(cwd));
  });
});
