/**
 * Sample: a database backfill, one transaction per row.
 *
 * A SQLite table `customers` (better-sqlite3) gets a new column, `email_normalized`, filled from
 * `email` (trimmed, lower case). For each row, inside `transaction(db, async (tx) => ...)`, the job
 * writes the derived column AND an audit row (`backfill_audit`): both commit together or roll back
 * together. A row whose transaction rolled back throws out of the loop, so safe-state does not mark
 * it done and the rerun backfills it again.
 *
 * By default the checkpoint is a file under `.safe_state/`, and the transaction commits before
 * safe-state records the row as done (at-least-once): a process killed in between backfills that
 * row again on the rerun. So the writes are idempotent: the UPDATE sets the same value again, and
 * the audit insert is `INSERT OR IGNORE` keyed on the customer id.
 *
 * With `--exactly-once` the checkpoint lives in the same SQLite database (a `SqlBackend` over the
 * very `db` the transactions use): each row's completion is written inside its transaction, so a
 * kill right after a commit does not repeat the row.
 *
 * Usage (from any working directory; the database and `.safe_state/` go there):
 *
 *   npx tsx samples/db-backfill/backfill.ts [--db FILE] [--rows N] [--fail-at ID] [--crash-after ID] [--delay MS] [--exactly-once]
 *
 * - `--db FILE`: the SQLite database (default `backfill.db`); created and seeded with `--rows`
 *   customers when it has no `customers` table yet.
 * - `--rows N`: how many customers to seed on the first run (default 300).
 * - `--fail-at ID`: the transaction of customer ID throws after its UPDATE (a simulated bug): the
 *   UPDATE rolls back with it.
 * - `--crash-after ID`: the process kills itself (SIGKILL) right after customer ID's transaction
 *   committed, before safe-state could record it: the rerun repeats that row, harmlessly.
 * - `--delay MS`: time per row (default 0), for killing it by hand.
 * - `--exactly-once`: keep the checkpoint in the database itself (see above).
 *
 * Output: verbose lines on stderr; on stdout `this run: <n> rows backfilled`. Exit code 0 when every
 * row is backfilled, 1 when the run stopped on an error.
 */
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeState, SafeStateError, SqlBackend, safeState, transaction } from '../../lib/index';

type Db = Database.Database;

/** A row of `customers`, as the job reads it. */
export interface Customer {
  id: number;
  email: string;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Frances', 'Niklaus'];
const DOMAINS = ['Example.COM', 'example.org', 'MAIL.Example.net', 'Test.io'];

/** The seeded email of customer `id` (1-based): mixed case, some with stray spaces. */
export function seedEmail(id: number): string {
  const email = `${FIRST[id % FIRST.length]}.${String(id).padStart(4, '0')}@${DOMAINS[id % DOMAINS.length]}`;
  return id % 3 === 0 ? `  ${email} ` : email;
}

/** The derived value: what `email_normalized` must hold for `email`. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Opens the database, creating and seeding it on the first run. */
export function openDatabase(file: string, rows: number): Db {
  const db = new Database(file);
  const seeded = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'customers'").get();
  if (!seeded) {
    db.exec(`
      BEGIN;
      CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, email_normalized TEXT);
      CREATE TABLE backfill_audit (
        customer_id INTEGER PRIMARY KEY REFERENCES customers(id),
        old_value TEXT NOT NULL,
        new_value TEXT NOT NULL
      );
    `);
    const insert = db.prepare('INSERT INTO customers (id, email) VALUES (?, ?)');
    for (let id = 1; id <= rows; id++) insert.run(id, seedEmail(id));
    db.exec('COMMIT');
  }
  return db;
}

/** The job. */
export class Backfill {
  /** Rows whose transaction committed in this run. */
  backfilled = 0;

  constructor(
    private readonly db: Db,
    private readonly options: { failAt: number | null; crashAfter: number | null; delayMs: number },
  ) {}

  /** The job, with its checkpoint in `.safe_state/` (at-least-once: see the file comment). */
  @SafeState({ name: 'db-backfill', verbose: true })
  async run(customers: Customer[]): Promise<void> {
    await this.backfill(customers);
  }

  /** The same job with its checkpoint in the database its transactions write (exactly-once). */
  runExactlyOnce(customers: Customer[]): Promise<void> {
    const job = safeState((cs: Customer[]) => this.backfill(cs), { name: 'db-backfill', verbose: true, backend: new SqlBackend(this.db) });
    return job(customers);
  }

  private async backfill(customers: Iterable<Customer>): Promise<void> {
    for (const c of customers) {
      if (this.options.delayMs > 0) await sleep(this.options.delayMs);
      await transaction(this.db, async (tx) => {
        const db = tx.of(this.db); // the connection, usable until the transaction ends
        const value = normalizeEmail(c.email);
        db.prepare('UPDATE customers SET email_normalized = ? WHERE id = ?').run(value, c.id);
        if (c.id === this.options.failAt) throw new Error(`cannot backfill customer ${c.id}: unexpected value`);
        db.prepare('INSERT OR IGNORE INTO backfill_audit (customer_id, old_value, new_value) VALUES (?, ?, ?)').run(c.id, c.email, value);
      }); // committed here; a throw above rolled the UPDATE back and leaves the loop: not done
      this.backfilled++;
      if (c.id === this.options.crashAfter) process.kill(process.pid, 'SIGKILL');
    }
  }
}

function usage(problem?: string): never {
  const text = 'usage: backfill [--db FILE] [--rows N] [--fail-at ID] [--crash-after ID] [--delay MS] [--exactly-once]';
  if (problem) {
    console.error(`${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

function toInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) usage(`${flag} needs a whole number, not '${text}'`);
  return n;
}

async function main(): Promise<void> {
  const args = { db: 'backfill.db', rows: 300, failAt: null as number | null, crashAfter: null as number | null, delayMs: 0, exactlyOnce: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--db') args.db = value();
    else if (flag === '--rows') args.rows = toInt(flag, value());
    else if (flag === '--fail-at') args.failAt = toInt(flag, value());
    else if (flag === '--crash-after') args.crashAfter = toInt(flag, value());
    else if (flag === '--delay') args.delayMs = toInt(flag, value());
    else if (flag === '--exactly-once') args.exactlyOnce = true;
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument ${flag}`);
  }
  const db = openDatabase(args.db, args.rows);
  // every row, in a stable order: the same list on every run (safe-state resumes by position)
  const customers = db.prepare('SELECT id, email FROM customers ORDER BY id').all() as Customer[];
  const job = new Backfill(db, args);
  try {
    await (args.exactlyOnce ? job.runExactlyOnce(customers) : job.run(customers));
    console.log(`this run: ${job.backfilled} rows backfilled; ${args.db} is complete`);
  } catch (error) {
    console.log(`this run: ${job.backfilled} rows backfilled`);
    const e = error as Error;
    console.error(`stopped: ${e.name}: ${e.message}${SafeStateError.is(e) ? '' : ' (run the same command again to resume)'}`);
    process.exitCode = 1;
  } finally {
    db.close();
  }
}

if (require.main === module) void main();
