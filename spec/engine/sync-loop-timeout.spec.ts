/**
 * A plain `for..of` that blocks on a save (Redis here, through the save worker) waits at most the
 * backend's operation timeout: a server that does not answer turns into a `BackendError` thrown by
 * the loop's next step, not a hang. The server is real: a Redis of this test's own, whose writes are
 * paused (`CLIENT PAUSE … WRITE`) after the run has started.
 */
import type { Redis as RedisClient } from 'ioredis';
import { safeState, RedisBackend, BackendError } from '../../lib/index';
import { startRedis, stopRedis } from '../setup/servers';
import { tempDir } from '../helpers';

const root = tempDir('safe-state-sync-loop-timeout-');
const PAUSE_MS = 40_000;
let url: string;
let admin: RedisClient;

beforeAll(async () => {
  url = await startRedis(root);
  const { Redis } = require('ioredis') as typeof import('ioredis');
  admin = new Redis(url, { maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
}, 60_000);

afterAll(async () => {
  admin?.disconnect();
  stopRedis(root);
});

it('a save that gets no answer within connectTimeoutMs fails the loop step with BackendError', async () => {
  const backend = RedisBackend.fromUrl(url, { prefix: 'timeout:', connectTimeoutMs: 1_000 });
  const seen: number[] = [];
  let caught: { error: unknown; waitedMs: number } | null = null;
  const job = safeState(
    async (xs: number[]) => {
      let t0 = 0;
      try {
        for (const x of xs) {
          seen.push(x);
          if (x === 0) {
            // item 0's body pauses the server's writes (far longer than the timeout, so that only the
            // timeout can end the wait, however slow the machine); the next step blocks on item 0's save
            await admin.call('CLIENT', ['PAUSE', String(PAUSE_MS), 'WRITE']);
          }
          t0 = Date.now();
        }
      } catch (e) {
        caught = { error: e, waitedMs: Date.now() - t0 };
        throw e;
      }
    },
    { name: 'sync-loop-timeout', backend },
  );
  await expect(job([0, 1, 2, 3])).rejects.toBeInstanceOf(BackendError);
  await admin.call('CLIENT', ['UNPAUSE']);
  await backend.close();
  expect(seen).toEqual([0]);
  expect(caught).not.toBeNull();
  const { error, waitedMs } = caught!;
  expect(BackendError.is(error) && (error as BackendError).code).toBe('BACKEND_ERROR');
  expect((error as Error).message).toContain("cannot save job 'sync-loop-timeout'");
  // the backend's 1 s timeout ended the wait, not the server's answer (that would take the pause)
  expect(waitedMs).toBeGreaterThanOrEqual(900);
  expect(waitedMs).toBeLessThan(PAUSE_MS);
}, 90_000);
