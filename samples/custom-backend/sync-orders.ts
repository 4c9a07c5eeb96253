/**
 * Sample: a job on a custom backend (json-dir-backend.ts): push 150 orders to a warehouse, with
 * the job's checkpoint kept as a JSON document in `./order-state/` instead of `.safe_state/`.
 *
 * Usage (from any working directory):
 *
 *   npx tsx samples/custom-backend/sync-orders.ts [--fail-at N] [--crash-after N] [--delay MS]
 *   npx tsx samples/custom-backend/sync-orders.ts --status
 *
 * - `--fail-at N`: the warehouse rejects order N (`WarehouseError`).
 * - `--crash-after N`: the process kills itself (SIGKILL) right after order N was pushed.
 * - `--delay MS`: time per order (default 0).
 * - `--status`: print what the checkpoint says (through the backend) and exit.
 *
 * Every push is appended to `warehouse.log`. Exit code 0 when every order is pushed, 1 when the
 * run stopped on an error.
 */
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeState, SafeStateError } from '../../lib/index';
import { JsonDirBackend } from './json-dir-backend';

const backend = new JsonDirBackend('order-state');

/** The warehouse refused an order. */
export class WarehouseError extends Error {
  static {
    this.prototype.name = 'WarehouseError';
  }
}

/** The job. */
export class OrderSync {
  pushed = 0;
  constructor(private readonly options: { failAt: number | null; crashAfter: number | null; delayMs: number }) {}

  // A backend without synchronous hooks: iterate with `for await`, so that each order's
  // completion is saved before the next order starts (a plain `for..of` cannot wait for an async
  // save; after a crash it may repeat the orders since the last finished save).
  @SafeState({ name: 'sync-orders', backend, verbose: true })
  async run(orderIds: number[]): Promise<void> {
    for await (const id of orderIds) {
      if (this.options.delayMs > 0) await sleep(this.options.delayMs);
      if (id === this.options.failAt) throw new WarehouseError(`order ${id} rejected: unknown SKU`);
      fs.appendFileSync('warehouse.log', `${id}\n`);
      this.pushed++;
      if (id === this.options.crashAfter) process.kill(process.pid, 'SIGKILL');
    }
  }
}

async function status(): Promise<void> {
  const cp = await SafeState.of(new OrderSync({ failAt: null, crashAfter: null, delayMs: 0 }), 'run').peekCheckpoint();
  console.log(`jobs in ${backend.dir}: ${(await backend.list()).join(', ') || 'none'}`);
  if (cp) console.log(`sync-orders: ${cp.completedIndices.size}/${cp.totalItems} done, ${cp.runCount} run(s), last failure: ${cp.lastFailure ? cp.lastFailure.message : 'none'}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--status')) return status();
  const opt = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : null;
  };
  const job = new OrderSync({ failAt: opt('--fail-at'), crashAfter: opt('--crash-after'), delayMs: opt('--delay') ?? 0 });
  try {
    await job.run(Array.from({ length: 150 }, (_, i) => i));
    console.log(`this run pushed ${job.pushed} orders; all 150 are in the warehouse`);
  } catch (error) {
    console.log(`this run pushed ${job.pushed} orders`);
    const e = error as Error;
    console.error(`stopped: ${e.name}: ${e.message}${SafeStateError.is(e) ? '' : ' (run the same command again to resume)'}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
