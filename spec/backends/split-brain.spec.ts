/**
 * Split brain (issue 13, adversarial item 1): the holder of a job is SIGSTOPped past its lease,
 * another process takes the job over, finishes it and clears it; then the old holder is SIGCONTed.
 * Its next save must lose the fence (JobLockedError, "lost its lock"), so the job's items run at
 * most once more than their number (the item in flight), and the finished job is not recreated.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { TS_NODE, tempDir } from '../helpers';
import { testServers } from '../setup/servers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'fence-child.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

function start(config: string, label: string): Child {
  const proc = spawn(TS_NODE[0], [...TS_NODE.slice(1), FIXTURE, config, label], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, out: () => out, exited };
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('a holder stopped past its lease (split brain)', () => {
  it('Redis: the old holder fails with JobLockedError at its next save; items run at most once more; the finished job stays finished', async () => {
    const dir = tempDir('safe-state-fence-');
    const n = 400;
    const prefix = `fence:${process.pid}:`;
    const name = 'split brain';
    const cfg = { url: testServers().redisUrl, prefix, name, n, effects: path.join(dir, 'effects.txt'), leaseMs: 1_000, itemMs: { A: 10, B: 0 } };
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify(cfg));
    const a = start(config, 'A');
    try {
      await until('A at item 30', () => /item 30\n/.test(a.out()));
      a.proc.kill('SIGSTOP');
      await sleep(cfg.leaseMs + 1_000); // A's lease runs out (A is alive: only the lease frees the job)
      const b = start(config, 'B');
      const bExit = await b.exited;
      expect({ exit: bExit.code, out: b.out().split('\n').filter((l) => l.startsWith('result')) }).toEqual({ exit: 0, out: ['result ok'] });
      a.proc.kill('SIGCONT');
      const aExit = await a.exited;
      const aResult = a.out().split('\n').find((l) => l.startsWith('result')) ?? '';
      const effects = fs.readFileSync(cfg.effects, 'utf8').trim().split('\n');
      // before the fence: A took the free lock back, ran its remaining items again and succeeded too
      expect(effects.length).toBeLessThanOrEqual(n + 1); // the item A had in flight may run twice
      expect(aExit.code).toBe(1);
      expect(aResult).toMatch(/^result JOB_LOCKED .*lost its lock/);
      expect(new Set(effects.map((l) => l.split(' ')[1])).size).toBe(n);
      const raw = new Redis(cfg.url);
      try {
        expect(await raw.exists(`${prefix}job:{${name}}`)).toBe(0); // B's completion stands: nothing recreated
        expect(await raw.exists(`${prefix}lock:{${name}}`)).toBe(0);
      } finally {
        raw.disconnect();
      }
    } finally {
      if (a.proc.exitCode === null && a.proc.signalCode === null) {
        a.proc.kill('SIGCONT');
        a.proc.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
