/**
 * samples/shared-workers, run as child processes against the test Redis: three workers of
 * process-orders.ts, one killed with SIGKILL in the middle of a chunk and replaced; every order is
 * shipped, and the only possible repeat is the killed worker's last order. Then the one-command
 * run-workers.ts, and a late worker that returns at once.
 */
import { cleanUp, fileLines, runSample, startSample, workDir, type RunningSample } from './sample-runner';
import { testServers } from '../setup/servers';

const WORKER = 'shared-workers/process-orders.ts';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(() => cleanUp());

describe('samples/shared-workers', () => {
  it('3 workers, one killed mid-chunk and replaced: every order shipped, a repeat only for the killed one', async () => {
    const cwd = workDir();
    const redis = testServers().redisUrl;
    const args = ['--redis', redis, '--orders', '200', '--lease-ms', '1000'];
    expect((await runSample(WORKER, [...args, '--clear'], cwd)).stdout).toBe('cleared\n');
    const workers: RunningSample[] = [0, 1, 2].map(() => startSample(WORKER, args, cwd));
    const victim = workers[0];
    const pidOf = (w: RunningSample) => String(w.child.pid);
    while (fileLines(cwd, 'shipped.log').filter((l) => l.endsWith(` ${pidOf(victim)}`)).length < 3) await sleep(10);
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    workers.push(startSample(WORKER, args, cwd)); // the replacement
    const results = await Promise.all(workers.slice(1).map((w) => w.done));
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^worker \d+: shipped \d+ orders; job complete\n$/);
    }
    const lines = fileLines(cwd, 'shipped.log').map((l) => l.split(' '));
    const ids = new Map<string, number>();
    for (const [id] of lines) ids.set(id, (ids.get(id) ?? 0) + 1);
    expect(ids.size).toBe(200);
    const twice = [...ids].filter(([, n]) => n > 1).map(([id]) => id);
    const killedLast = lines.filter(([, pid]) => pid === pidOf(victim)).pop()![0];
    expect(twice.every((id) => id === killedLast)).toBe(true);
    const shipped = results.map((r) => Number(/shipped (\d+)/.exec(r.stdout)![1])).reduce((a, b) => a + b, 0);
    expect(shipped + lines.filter(([, pid]) => pid === pidOf(victim)).length).toBe(lines.length);

    // a worker that starts after the end returns at once
    const late = await runSample(WORKER, args, cwd);
    expect(late.code).toBe(0);
    expect(late.stdout).toMatch(/shipped 0 orders; job complete/);
    expect(late.stderr).toContain("shared job 'ship-orders' is complete already; nothing to do");
  }, 60_000);

  it('run-workers.ts runs the whole story in one command', async () => {
    const cwd = workDir();
    const r = await runSample('shared-workers/run-workers.ts', ['--redis', testServers().redisUrl, '--orders', '120', '--lease-ms', '1000'], cwd);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/killed worker \d+ \(SIGKILL\); starting a replacement/);
    expect(r.stdout).toMatch(/shipped\.log: 120\/120 orders/);
  }, 60_000);
});
