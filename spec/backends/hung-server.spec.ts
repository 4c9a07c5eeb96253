/**
 * A server that hangs (kill -STOP) in the middle of a job (issue 13, adversarial item 4): the job
 * must fail with BackendError within one operation timeout plus a margin (one deadline for the
 * whole failure path: the save, the failure save and the release share it), and the process must
 * end by itself promptly after (no reconnect timer or socket keeping it alive). Each test starts
 * a server of its own: the suite's shared servers are never stopped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { TS_NODE, tempDir } from '../helpers';
import { startMariaDb, startPostgres, startRedis, stopMariaDb, stopPostgres, stopRedis } from '../setup/servers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'hung-server-child.ts');
const TIMEOUT_MS = 1_000;

interface Outcome {
  code: string;
  failedAfterMs: number;
  /** from the job's rejection to the process's exit */
  exitAfterMs: number;
  exitCode: number | null;
}

function runChild(cfg: object, dir: string): Promise<Outcome> {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(cfg));
  const proc = spawn(TS_NODE[0], [...TS_NODE.slice(1), FIXTURE, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    proc.on('exit', (exitCode) => {
      const exitedAt = Date.now();
      clearTimeout(killer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return reject(new Error(`no outcome from the child (exit ${exitCode}): ${out}${err}`));
      const r = JSON.parse(line) as { code: string; failedAfterMs: number; rejectedAt: number };
      resolve({ code: r.code, failedAfterMs: r.failedAfterMs, exitAfterMs: exitedAt - r.rejectedAt, exitCode });
    });
  });
}

/** The pids of a server: the process in `pidFile` and its children (PostgreSQL: one per connection). */
function serverPids(pidFile: string): number[] {
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
  const pids = [pid];
  for (const entry of fs.readdirSync('/proc')) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) pids.push(Number(entry));
    } catch {
      /* not a process, or gone */
    }
  }
  return pids;
}

function resume(pidFile: string): void {
  try {
    for (const p of serverPids(pidFile)) process.kill(p, 'SIGCONT');
  } catch {
    /* gone */
  }
}

const SQL = [
  { name: 'MariaDB', start: startMariaDb, stop: stopMariaDb, pidFile: (root: string) => path.join(root, 'mariadb', 'mariadb.pid') },
  { name: 'PostgreSQL', start: startPostgres, stop: stopPostgres, pidFile: (root: string) => path.join(root, 'postgres', 'data', 'postmaster.pid') },
];

describe('a server hung (SIGSTOP) in the middle of a job', () => {
  for (const db of SQL) {
    it(`${db.name}: BackendError within 2.5x the timeout, and the process ends by itself within 2 s after backend.close()`, async () => {
      const root = tempDir('safe-state-hung-');
      fs.chmodSync(root, 0o755); // PostgreSQL runs as its own user
      const url = await db.start(root);
      const pidFile = db.pidFile(root);
      try {
        const r = await runChild({ url, pidFile, name: 'hung', n: 50, k: 20, timeoutMs: TIMEOUT_MS, close: true }, root);
        expect(r).toEqual({ code: 'BACKEND_ERROR', failedAfterMs: expect.any(Number), exitAfterMs: expect.any(Number), exitCode: 0 });
        expect(r.failedAfterMs).toBeLessThan(2.5 * TIMEOUT_MS);
        expect(r.exitAfterMs).toBeLessThan(2_000);
      } finally {
        resume(pidFile);
        db.stop(root);
        fs.rmSync(root, { recursive: true, force: true });
      }
    }, 120_000);
  }

  for (const close of [false, true]) {
    it(`Redis: BackendError within 2.5x the timeout, and the process ends by itself within 2 s${close ? ' (after backend.close())' : ''}`, async () => {
      const root = tempDir('safe-state-hung-');
      const url = await startRedis(root);
      const pidFile = path.join(root, 'redis', 'redis.pid');
      try {
        const r = await runChild({ url, pidFile, name: 'hung', n: 50, k: 20, timeoutMs: TIMEOUT_MS, close }, root);
        expect(r).toEqual({ code: 'BACKEND_ERROR', failedAfterMs: expect.any(Number), exitAfterMs: expect.any(Number), exitCode: 0 });
        // before: three timeouts in a row (save, failure save, release), then the client's reconnects
        expect(r.failedAfterMs).toBeLessThan(2.5 * TIMEOUT_MS);
        expect(r.exitAfterMs).toBeLessThan(2_000);
      } finally {
        try {
          process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGCONT');
        } catch {
          /* gone */
        }
        stopRedis(root);
        fs.rmSync(root, { recursive: true, force: true });
      }
    }, 90_000);
  }
});
