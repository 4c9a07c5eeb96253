/**
 * A backend made by fromUrl does not keep the process alive once no job uses it (issue 13, item
 * 5): a script that runs a job and never calls close() ends by itself, with exit code 0.
 */
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { TS_NODE } from '../helpers';
import { testServers } from '../setup/servers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'from-url-child.ts');

/** Runs the child; answers its exit code and how long it lived after printing its outcome (killed after 30 s). */
function run(url: string): Promise<{ code: number | null; done: boolean; afterDoneMs: number; out: string }> {
  const proc = spawn(TS_NODE[0], [...TS_NODE.slice(1), FIXTURE, url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let doneAt = 0;
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!doneAt && /^(done|failed .*)$/m.test(out)) doneAt = Date.now();
  });
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    proc.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, done: doneAt > 0, afterDoneMs: doneAt ? Date.now() - doneAt : -1, out });
    }),
  );
}

describe('a job on a backend made by fromUrl, without close()', () => {
  const servers = () => testServers();
  for (const [name, url] of [
    ['RedisBackend', () => servers().redisUrl],
    ['SqlBackend (MariaDB)', () => servers().mysqlUrl],
    ['SqlBackend (PostgreSQL)', () => servers().postgresUrl],
  ] as const) {
    it(`${name}: the process ends by itself, exit code 0`, async () => {
      const r = await run(url());
      expect({ code: r.code, done: r.done, out: r.out }).toEqual({ code: 0, done: true, out: 'done\n' });
      expect(r.afterDoneMs).toBeLessThan(5_000); // generous: a busy machine; before, Redis and MariaDB never ended
    }, 60_000);
  }

  it('RedisBackend, server down: the job fails and the process ends by itself (the reconnect timer does not hold it)', async () => {
    // port 1 is closed (see the CLI tests): every connection attempt is refused
    const r = await run('redis://127.0.0.1:1');
    expect({ code: r.code, done: r.done, out: r.out }).toEqual({ code: 0, done: true, out: 'failed BACKEND_ERROR\n' });
    expect(r.afterDoneMs).toBeLessThan(5_000); // before: ioredis reconnected every 2 s forever (killed after 30 s)
  }, 60_000);
});
