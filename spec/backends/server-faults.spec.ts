/**
 * Fault tests against real servers of our own (not the suite's shared ones): the server is stopped
 * (SIGKILL / immediate shutdown) in the middle of a job, and started again on the same port with the
 * same data directory.
 */
import * as fs from 'node:fs';
import * as mysql from 'mysql2';
import { Pool } from 'pg';
import { RedisBackend, SqlBackend, safeState, BackendError, type StateBackend } from '../../lib/index';
import { range, tempDir } from '../helpers';
import { portOf, startMariaDb, startPostgres, startRedis, stopMariaDb, stopPostgres, stopRedis } from '../setup/servers';

const N = 40;
const K = 15;

function serverRoot(): string {
  const root = tempDir('safe-state-faults-');
  fs.chmodSync(root, 0o755); // PostgreSQL runs as its own user
  return root;
}

/**
 * A job over `backend` stops the server while it works on item K: the job fails with BackendError
 * within a few seconds, the checkpoint (read once the server is back) holds items 0..K-1, and the
 * rerun (same backend object, the server restarted) runs exactly items K..N-1.
 */
async function stopMidJob(backend: StateBackend, stop: () => void, start: () => Promise<unknown>): Promise<void> {
  const seen: number[][] = [[], []];
  let run = 0;
  let stoppedAt = 0;
  const job = safeState(async (xs: number[]) => {
    for await (const x of xs) {
      seen[run].push(x);
      if (run === 0 && x === K) {
        stop();
        stoppedAt = Date.now();
      }
    }
  }, { name: 'fault ✓', backend });
  const err = await job(range(N)).catch((e: unknown) => e);
  const failedAfter = Date.now() - stoppedAt;
  expect(err).toBeInstanceOf(BackendError);
  expect((err as BackendError).cause).toBeDefined();
  expect(failedAfter).toBeLessThan(5_000);
  expect(seen[0]).toEqual(range(K + 1));

  await start();
  run = 1;
  const cp = await retry(() => job.peekCheckpoint());
  expect(cp?.completedIndices.size).toBe(K);
  expect(cp?.progress()).toBeCloseTo(K / N);
  await retry(() => job(range(N)));
  expect(seen[1]).toEqual(range(N).slice(K));
  expect(await backend.exists('fault ✓')).toBe(false);
}

/** Retries while the client is still finding the restarted server (a BackendError), for up to 10 s. */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!BackendError.is(e) || Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('a server stopped in the middle of a job', () => {
  it('Redis (appendfsync always): BackendError at once, progress kept; restarted, the rerun resumes', async () => {
    const root = serverRoot();
    const persist = ['--appendonly', 'yes', '--appendfsync', 'always'];
    const url = await startRedis(root, undefined, persist);
    const backend = RedisBackend.fromUrl(url);
    try {
      await stopMidJob(backend, () => stopRedis(root), () => startRedis(root, portOf(url), persist));
    } finally {
      await backend.close();
      stopRedis(root);
    }
  });

  it('MariaDB: BackendError at once, progress kept; restarted, the rerun resumes', async () => {
    const root = serverRoot();
    const url = await startMariaDb(root);
    const pool = mysql.createPool({ uri: url, connectionLimit: 4 });
    pool.on('connection', (c) => c.on('error', () => undefined));
    const backend = new SqlBackend(pool);
    try {
      await stopMidJob(backend, () => stopMariaDb(root), () => startMariaDb(root, portOf(url)));
    } finally {
      await backend.close();
      await new Promise((r) => pool.end(r));
      stopMariaDb(root);
    }
  }, 90_000);

  it('PostgreSQL: BackendError at once, progress kept; restarted, the rerun resumes', async () => {
    const root = serverRoot();
    const url = await startPostgres(root);
    const pool = new Pool({ connectionString: url, max: 4 });
    pool.on('error', () => undefined); // idle clients report the shutdown
    const backend = new SqlBackend(pool);
    try {
      await stopMidJob(backend, () => stopPostgres(root), () => startPostgres(root, portOf(url)));
    } finally {
      await backend.close();
      await pool.end();
      stopPostgres(root);
    }
  }, 90_000);
});
