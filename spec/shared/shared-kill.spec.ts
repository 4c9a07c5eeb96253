/**
 * The proof of shared workers: 4 worker processes run one job over real Redis and over real
 * MariaDB while the test SIGKILLs random workers and starts new ones. An external ledger (one
 * O_APPEND file per worker process, a line per item written after the item's effect) must show
 * every item processed, and repeats only for items that were in flight in a killed worker: with
 * `for await`, a killed worker has at most one item in flight, the last line of its ledger; with
 * `concurrently(items, 3)`, at most 3, among its last lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RedisBackend, SqlBackend } from '../../lib/index';
import { tempDir } from '../helpers';
import { childCommand, prng, seedFor, randInt, REPO_ROOT } from '../crash/crash-harness';
import { testServers } from '../setup/servers';
import type { SharedWorkerConfig } from '../fixtures/shared-worker-child';
import { namespace } from './targets';

const CHILD = path.join(REPO_ROOT, 'spec/fixtures/shared-worker-child.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Worker {
  proc: ChildProcess;
  ledger: string;
  killed: boolean;
  exited: Promise<number | null>;
  stderr: string;
}

function lines(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map(Number);
}

const CASES = [
  { kind: 'redis', limit: 1, loop: 'for await' },
  { kind: 'mysql', limit: 1, loop: 'for await' },
  { kind: 'redis', limit: 3, loop: 'concurrently(items, 3)' },
] as const;

describe.each(CASES)('4 shared workers on $kind ($loop) with random SIGKILLs', ({ kind, limit }) => {
  it('process every item; repeats only the items in flight in killed workers', async () => {
    const s = testServers();
    const dir = tempDir('safe-state-shared-kill-');
    const rng = prng(seedFor(`shared-kill-${kind}`));
    // long enough that the 8 kills (one every 250-700 ms) land before the job ends, also on a quiet
    // machine: the same rate of items per worker whatever the limit
    const total = 8_000;
    const base: Omit<SharedWorkerConfig, 'ledger'> = {
      kind, url: kind === 'redis' ? s.redisUrl : s.mysqlUrl, ns: namespace(), name: `shared kill ${kind}`,
      total, chunkSize: 20, leaseMs: 1_000, sleepMs: 3 * limit, limit,
    };
    const cmd = childCommand(CHILD);
    const workers: Worker[] = [];
    let serial = 0;
    const start = (): Worker => {
      const ledger = path.join(dir, `w${serial++}.log`);
      const proc = spawn(process.execPath, [...cmd, JSON.stringify({ ...base, ledger })], {
        stdio: ['ignore', 'ignore', 'pipe'],
        // the bundled child lives in a temp dir: drivers loaded by name (mysql2) are found from here
        env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
      });
      const w: Worker = { proc, ledger, killed: false, stderr: '', exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))) };
      proc.stderr!.on('data', (d: Buffer) => (w.stderr += d.toString()));
      workers.push(w);
      return w;
    };
    const live = new Set<Worker>();
    for (let i = 0; i < 4; i++) live.add(start());

    const KILLS = 8;
    let kills = 0;
    while (kills < KILLS) {
      await sleep(randInt(rng, 250, 700));
      const candidates = [...live].filter((w) => lines(w.ledger).length > 0);
      if (candidates.length === 0) {
        if ([...live].every((w) => w.proc.exitCode !== null)) break; // all done already
        continue;
      }
      const victim = candidates[randInt(rng, 0, candidates.length - 1)];
      if (victim.proc.exitCode !== null) {
        live.delete(victim);
        continue;
      }
      victim.killed = true;
      victim.proc.kill('SIGKILL');
      await victim.exited;
      live.delete(victim);
      kills++;
      live.add(start()); // a replacement joins
    }
    const codes = await Promise.all([...live].map((w) => w.exited));
    for (const w of live) if (w.proc.exitCode !== 0) throw new Error(`worker exited ${w.proc.exitCode}: ${w.stderr}`);
    expect(codes.every((c) => c === 0)).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(6);

    // the ledger: every item, and repeats only for the last items of killed workers: with `for
    // await` its last line; with concurrently(items, limit), its last `limit` lines (a slot takes a
    // new item only once its completion is written; the writes of two chunks may interleave, hence
    // up to 2 x limit lines back)
    const window = limit === 1 ? 1 : 2 * limit;
    const count = new Map<number, number>();
    const lastOfKilled = new Map<number, number>(); // item → how many killed workers have it among their last lines
    for (const w of workers) {
      const ls = lines(w.ledger);
      for (const i of ls) count.set(i, (count.get(i) ?? 0) + 1);
      if (w.killed) for (const last of ls.slice(-window)) lastOfKilled.set(last, (lastOfKilled.get(last) ?? 0) + 1);
    }
    const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !count.has(i));
    expect(missing).toEqual([]);
    const repeated = [...count].filter(([, n]) => n > 1);
    for (const [item, n] of repeated) expect(n - 1).toBeLessThanOrEqual(lastOfKilled.get(item) ?? 0);
    expect(repeated.length).toBeLessThanOrEqual(kills * limit);

    const backend = kind === 'redis' ? RedisBackend.fromUrl(s.redisUrl, { prefix: `${base.ns}:` }) : SqlBackend.fromUrl(s.mysqlUrl, { table: base.ns });
    try {
      const status = await backend.sharedChunks!().status(base.name);
      expect(status?.complete).toBe(true);
      expect(status?.doneItems.length).toBe(total);
      expect(status?.runCount).toBe(workers.length);
    } finally {
      await backend.close();
    }
    const processed = [...count.values()].reduce((a, b) => a + b, 0);
    process.stderr.write(`[shared-kill ${kind} limit ${limit}] ${workers.length} worker processes, ${kills} SIGKILLs, ${total} items, ${processed} executions, ${repeated.length} repeated items (${repeated.map(([i]) => i).join(', ')})\n`);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

describe('a shared worker stopped by SIGTERM', () => {
  // The lease (10 minutes) is far longer than the test's timeout: the second worker can only finish
  // in time if the first one gave its chunk back, never by waiting for its lease to run out.
  it('writes its completions and gives its chunk back: the next worker does not wait for the lease', async () => {
    const s = testServers();
    const dir = tempDir('safe-state-shared-term-');
    const base = { kind: 'redis' as const, url: s.redisUrl, ns: namespace(), name: 'shared term', total: 300, chunkSize: 100, leaseMs: 600_000, sleepMs: 3 };
    const cmd = childCommand(CHILD);
    const run = (ledger: string) => {
      const proc = spawn(process.execPath, [...cmd, JSON.stringify({ ...base, ledger })], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') } });
      let err = '';
      proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal, err })));
      return { proc, done };
    };
    const first = run(path.join(dir, 'a.log'));
    while (lines(path.join(dir, 'a.log')).length < 20) await sleep(10);
    first.proc.kill('SIGTERM');
    expect((await first.done).signal).toBe('SIGTERM');
    const second = await run(path.join(dir, 'b.log')).done;
    expect({ code: second.code, err: second.err }).toEqual({ code: 0, err: '' });
    const a = lines(path.join(dir, 'a.log'));
    const b = lines(path.join(dir, 'b.log'));
    expect([...new Set([...a, ...b])].sort((x, y) => x - y)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const repeats = a.filter((i) => b.includes(i));
    expect(repeats.length).toBeLessThanOrEqual(1); // at most the item in flight at the signal
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
