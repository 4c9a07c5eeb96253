/**
 * Child process of the exactly-once soak (bench/exactly-once-soak.ts): one run of a job whose every
 * item is one transaction on an SQL database that also holds the job's checkpoint (a `SqlBackend`
 * over the same connection or pool), so each item's effect row and its completion commit together.
 * The parent SIGKILLs it at random moments. Items run one at a time (`for await`) or four at once
 * (`concurrently`). The effect is a row `(item)` in a table without a unique key, so a repeat would
 * show as a second row. Phase bytes of the crash tests go to fd 3 (SAFE_STATE_TEST_PHASE_FD).
 * Argument: one JSON {@link ExactlyOnceChildConfig}. Exit 0 when the job completed.
 */
import { writeSync } from 'node:fs';
import { Idempotent, IdempotencyCache, SafeState, SqlBackend, concurrently, transaction, type Transaction } from '../lib/index';
import { openSoakDatabase, type SoakDatabase, type SoakDialect } from './exactly-once-db';

export interface ExactlyOnceChildConfig {
  dialect: SoakDialect;
  /** a file (sqlite) or a server URL */
  where: string;
  /** the checkpoint table */
  table: string;
  /** the effects table (created by the parent) */
  effects: string;
  name: string;
  n: number;
  /**
   * `for-await` / `concurrently`: a `@SafeState` job whose items are transactions. `idempotent`: a
   * plain loop (no job) calling an `@Idempotent({ key })` method inside a transaction for every item,
   * with the records in an IdempotencyCache on the same database: exactly-once rests on them alone.
   */
  mode: 'for-await' | 'concurrently' | 'idempotent';
  /** at most this many ms of waiting inside each item's transaction, after its effect */
  workMs: number;
  /**
   * The control case: the SqlBackend gets a connection of its own, so an item's completion is not
   * part of its transaction and delivery is at-least-once (a kill right after a commit repeats it).
   */
  separateBackend?: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]) as ExactlyOnceChildConfig;
  const db: SoakDatabase = openSoakDatabase(cfg.dialect, cfg.where);
  const own = cfg.separateBackend ? openSoakDatabase(cfg.dialect, cfg.where) : null;
  const backend = new SqlBackend((own ?? db).conn as never, { table: cfg.table });
  const fd = Number(process.env.SAFE_STATE_TEST_PHASE_FD);
  const one = async (i: number) => {
    await transaction(db.conn, async (tx) => {
      await db.insertEffect(tx.of(db.conn), cfg.effects, i);
      const wait = Math.floor(Math.random() * (cfg.workMs + 1));
      if (wait > 0) await sleep(wait);
    });
    // the control case has no completion record, so the library says nothing at the commit: say it
    // here, and leave the kill time to land before the engine's own save (a fast synchronous save,
    // SQLite's, would otherwise often be done before the signal arrives)
    if (cfg.separateBackend && fd > 2) {
      writeSync(fd, 'K');
      await sleep(50);
    }
  };
  const options = { name: cfg.name, backend };
  class Job {
    @SafeState(options)
    async sequential(items: number[]): Promise<void> {
      for await (const i of items) await one(i);
    }

    @SafeState(options)
    async parallel(items: number[]): Promise<void> {
      await concurrently(items, 4, (i) => one(i));
    }
  }
  const cache = new IdempotencyCache({ name: cfg.name, backend });
  class Sender {
    /** the side effect, once per key: the result is recorded inside the caller's transaction */
    @Idempotent({ key: (i: number) => String(i), cache })
    async send(i: number, tx: Transaction): Promise<string> {
      await db.insertEffect(tx.of(db.conn), cfg.effects, i);
      return `sent ${i}`;
    }
  }
  const items = Array.from({ length: cfg.n }, (_, i) => i);
  const job = new Job();
  if (cfg.mode === 'concurrently') await job.parallel(items);
  else if (cfg.mode === 'for-await') await job.sequential(items);
  else {
    const sender = new Sender();
    await cache.seen(''); // one use outside a transaction: on SQLite's single connection its first use must not join one
    for (const i of items) {
      const answer = await transaction(db.conn, (tx) => sender.send(i, tx));
      if (answer !== `sent ${i}`) throw new Error(`send(${i}) answered ${answer}`);
      if (fd > 2) writeSync(fd, 'K');
    }
  }
  await cache.close();
  await backend.close();
  await own?.close();
  await db.close();
  process.stdout.write('complete\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`exactly-once-child: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
