import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { skipReason } from '../../bench/bench-servers';
import type { FailedRow } from '../../bench/failed-rows';
import { TS_NODE } from '../helpers';
import { testServers } from '../setup/servers';

const CHILD = path.join(__dirname, '../fixtures/bench-lost-server-child.ts');

/** The reason a benchmark row gives when its server cannot be started (bench/bench-servers.ts). */
describe('benchmark servers: skip reasons', () => {
  it('names the missing binary, and its package when that differs', () => {
    expect(skipReason(new Error('redis-server not found: install redis-server (apt-get install -y redis-server); .ci/run does this'))).toBe('redis-server not installed');
    expect(skipReason(new Error('initdb not found: install postgresql (apt-get install -y postgresql); .ci/run does this'))).toBe('initdb not installed (package postgresql)');
  });

  it('passes any other failure on', () => {
    expect(skipReason(new Error('mariadb did not start within 30000 ms\nmore'))).toBe('could not start: mariadb did not start within 30000 ms');
  });
});

/**
 * `npm run bench` once died in this section with an unhandled pg 'error' event ('Connection
 * terminated unexpectedly'), losing the whole run. A server that ends the section's connection
 * mid-run now yields a failed row that says why, and the process goes on (a real child process:
 * an unhandled 'error' event ends it).
 */
describe('benchmark servers: a server lost mid-run', () => {
  it('turns the section into a failed row instead of ending the process', () => {
    const child = spawnSync(TS_NODE[0], [...TS_NODE.slice(1), CHILD, testServers().postgresUrl], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).not.toMatch(/Unhandled 'error' event/);
    expect(child.status).toBe(0);
    const out = JSON.parse(child.stdout.trim().split('\n').pop()!) as { rows: number; failed: FailedRow[] };
    expect(out).toEqual({ rows: 0, failed: [{ id: 'postgres-for-await', label: 'SQL postgres saveEvery 1, for await', reason: expect.stringMatching(/terminat|connection error/i) }] });
  });
});
