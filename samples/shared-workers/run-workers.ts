/**
 * Sample: the whole story in one command. Starts 4 workers of process-orders.ts (separate
 * processes), kills one with SIGKILL while it ships, starts a replacement, waits for every worker,
 * and checks the ledger `shipped.log`: every order shipped, and which orders ran twice (only the
 * one the killed worker had in flight, if any).
 *
 * Usage (from any working directory; `shipped.log` goes there; needs a Redis server):
 *
 *   npx tsx samples/shared-workers/run-workers.ts [--redis URL] [--orders N]
 *
 * Exit code 0 when every order was shipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const WORKER = path.join(__dirname, 'process-orders.ts');
const passThrough = process.argv.slice(2);
const ordersIndex = passThrough.indexOf('--orders');
const count = ordersIndex >= 0 ? Number(passThrough[ordersIndex + 1]) : 300;

/** Starts a worker the way this script runs (under tsx: the same loader flags). */
function worker(extra: string[] = []): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(process.execPath, [...process.execArgv, WORKER, ...passThrough, ...extra], { stdio: ['ignore', 'inherit', 'inherit'] });
  return { child, done: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

function ledger(): string[][] {
  return fs.existsSync('shipped.log') ? fs.readFileSync('shipped.log', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')) : [];
}

async function main(): Promise<void> {
  await worker(['--clear']).done; // a fresh job (the record of a completed one is kept for 24 h)
  fs.rmSync('shipped.log', { force: true });
  const workers = Array.from({ length: 4 }, () => worker());
  // kill the first worker that ships an order, in the middle of its chunk (whichever worker that is:
  // a worker that starts late may find every chunk taken and ship nothing)
  let victim: ChildProcess | undefined;
  while (!victim) {
    const first = ledger()[0]?.[1];
    victim = first === undefined ? undefined : workers.find((w) => w.child.pid === Number(first))?.child;
    if (!victim) await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 50));
  victim.kill('SIGKILL');
  process.stdout.write(`killed worker ${victim.pid} (SIGKILL); starting a replacement\n`);
  workers.push(worker());
  await Promise.all(workers.map((w) => w.done));

  const lines = ledger();
  const seen = new Map<string, number>();
  for (const [id] of lines) seen.set(id, (seen.get(id) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  const killedLast = lines.filter(([, pid]) => Number(pid) === victim.pid).pop()?.[0];
  process.stdout.write(`shipped.log: ${seen.size}/${count} orders, ${lines.length} shipments; ran twice: ${twice.length ? twice.join(', ') : 'none'}` +
    `${killedLast ? ` (the killed worker's last order was ${killedLast})` : ''}\n`);
  if (seen.size !== count) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
