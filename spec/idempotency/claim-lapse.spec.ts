/**
 * A live holder whose claim lapses (the process is paused past the backend's lease: SIGSTOP, as a
 * long GC pause, a starved or suspended machine would): another caller takes the key over and
 * runs the effect; when the holder wakes, its result is dropped (the newer record stands) and the
 * process gets a `SAFE_STATE_CLAIM_LAPSED` warning saying the effect may have run twice. Real
 * processes and servers (Redis, PostgreSQL, MariaDB, SQLite).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { IdempotencyCache, RedisBackend, SqlBackend, idempotent, type StateBackend } from '../../lib/index';
import { childCommand, REPO_ROOT } from '../crash/crash-harness';
import { testServers } from '../setup/servers';
import { namespace } from '../shared/targets';
import { tempDir } from '../helpers';

const CHILD = path.join(REPO_ROOT, 'spec/fixtures/claim-stall-child.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE_MS = 1_000;

describe.each(['redis', 'postgres', 'mysql', 'sqlite'] as const)('a claim that lapses under a live holder on %s', (kind) => {
  it('the holder that wakes records nothing, keeps its own answer, and warns SAFE_STATE_CLAIM_LAPSED', async () => {
    const s = testServers();
    const ns = namespace();
    const url = kind === 'redis' ? s.redisUrl : kind === 'postgres' ? s.postgresUrl : kind === 'mysql' ? s.mysqlUrl : `sqlite:${path.join(tempDir(), 'lapse.db')}`;
    const config = { kind: kind === 'redis' ? 'redis' : 'url', url, ns, leaseMs: LEASE_MS, effectMs: 2_500 };
    const child = spawn(process.execPath, [...childCommand(CHILD), JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    for (let i = 0; !out.includes('started\n'); i++) {
      if (child.exitCode !== null || i > 600) throw new Error(`the child never started its effect: ${err}`);
      await sleep(50);
    }
    child.kill('SIGSTOP'); // the holder stops renewing, mid-effect
    await sleep(LEASE_MS * 2);

    const backend: StateBackend = kind === 'redis' ? RedisBackend.fromUrl(url, { prefix: `${ns}:`, leaseMs: LEASE_MS }) : SqlBackend.fromUrl(url, { table: ns, leaseMs: LEASE_MS });
    let runs = 0;
    const cache = new IdempotencyCache({ name: 'stall', backend });
    const effect = idempotent(
      async (key: string) => {
        runs++;
        return `test:${key}`;
      },
      { key: (key: string) => key, cache, name: 'charge' },
    );
    try {
      expect(await effect('k')).toBe('test:k'); // the lapsed claim was taken over
      expect(runs).toBe(1);
      child.kill('SIGCONT');
      expect(await exited).toBe(0);
      expect(out).toContain('answer "child:k"'); // the woken call answers its own result
      expect(err).toContain('SAFE_STATE_CLAIM_LAPSED');
      expect(err).toMatch(/charge\("k"\).*lost while the call ran/);
      expect(await effect('k')).toBe('test:k'); // the newer record stands
      expect(runs).toBe(1);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await cache.close();
      await backend.close();
    }
  }, 60_000);
});
