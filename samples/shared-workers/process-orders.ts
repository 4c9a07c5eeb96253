/**
 * Sample: one worker of a shared job on Redis (`workers: 'shared'`). Start it in as many processes
 * (or machines) as you like: they split the orders between them by claiming chunks of 20 with an
 * expiring lease, and each order is processed once, except the one a killed worker had in flight.
 *
 * For each order the worker "ships" it (a 10 ms wait standing for an API call), then appends
 * `<order id> <worker pid>` to `shipped.log` in the working directory (one O_APPEND write, after
 * the effect, as a ledger you can check).
 *
 * Usage (from any working directory; `shipped.log` goes there):
 *
 *   npx tsx samples/shared-workers/process-orders.ts [--redis URL] [--orders N] [--lease-ms MS] [--clear]
 *
 * - `--redis URL`: the Redis server (default `$REDIS_URL`, else `redis://127.0.0.1:6379`).
 * - `--orders N`: orders 0..N-1 (default 300).
 * - `--lease-ms MS`: lease of a claimed chunk (default 3000): how long the chunk of a killed worker
 *   waits before another worker takes it over.
 * - `--clear`: remove the job's record (a completed job is kept for 24 h, so that late workers
 *   return at once), then exit.
 *
 * Output: verbose lines on stderr; on stdout `worker <pid>: shipped <n> orders; job complete`.
 */
import * as fs from 'node:fs';
import { RedisBackend, safeState } from '../../lib/index';

interface Order {
  id: string;
  amount: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const redisUrl = arg('--redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const count = Number(arg('--orders', '300'));
const leaseMs = Number(arg('--lease-ms', '3000'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ship(order: Order): Promise<void> {
  await sleep(10); // stands for the call to the shipping API
  fs.appendFileSync('shipped.log', `${order.id} ${process.pid}\n`);
}

async function main(): Promise<void> {
  const backend = RedisBackend.fromUrl(redisUrl, { prefix: 'safe-state-sample:' });
  let shipped = 0;
  const shipOrders = safeState(
    async (orders: Order[]) => {
      // `for await`: each completion is written (fenced by the chunk's lease) before the next order
      for await (const order of orders) {
        await ship(order);
        shipped++;
      }
    },
    { name: 'ship-orders', backend, workers: 'shared', chunkSize: 20, leaseMs, verbose: true },
  );
  try {
    if (process.argv.includes('--clear')) {
      await shipOrders.clearCheckpoint();
      process.stdout.write('cleared\n');
      return;
    }
    // every worker must see the same orders in the same order: positions are what they share
    const orders: Order[] = Array.from({ length: count }, (_, i) => ({ id: `o${String(i).padStart(4, '0')}`, amount: (i * 37) % 500 }));
    await shipOrders(orders);
    const cp = await shipOrders.peekCheckpoint();
    process.stdout.write(`worker ${process.pid}: shipped ${shipped} orders; job ${cp?.complete ? 'complete' : 'not complete'}\n`);
  } finally {
    await backend.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`worker ${process.pid} stopped: ${(e as Error)?.message ?? String(e)}\n`);
  process.exitCode = 1;
});
