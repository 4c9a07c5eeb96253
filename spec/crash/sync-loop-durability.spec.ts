/**
 * Per-item durability of a plain `for..of` on every built-in backend (issue 13, item 2): the
 * completion of item k is stored before item k+1 is handed out, also on Redis and the network SQL
 * databases, whose saves are asynchronous (a worker thread saves while the iterator waits).
 *
 * A real child (spec/fixtures/blocking-child.ts) runs 50 items on a real server from the global
 * setup; in the body of item 20 it holds its thread and is SIGKILLed there. The rerun must start
 * at item 20: items 0-19 counted, 20 was in flight. Before: a synchronous body saved nothing
 * (`resuming: 0/50`, items 0-20 repeated), an awaiting one lost the last save (19 and 20 repeated).
 */
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { TS_NODE, tempDir } from '../helpers';
import { testServers } from '../setup/servers';
import { openBackend, uniqueTarget, type TargetDesc, type TargetKind } from '../backends/targets';

const CHILD = path.resolve(__dirname, '../fixtures/blocking-child.ts');
const N = 50;
const STOP = 20;

interface Run {
  started: number[];
  ended: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the child; SIGKILLs it once it printed `B <stopAt>` (it holds its thread there). */
function runChild(desc: TargetDesc, name: string, mode: 'sync' | 'await', stopAt: number): Promise<Run> {
  const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), CHILD, JSON.stringify(desc), name, String(N), mode, String(stopAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const started: number[] = [];
  let ended = false;
  let buf = '';
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      if (l === 'END') ended = true;
      if (l.startsWith('B ')) {
        const i = Number(l.slice(2));
        started.push(i);
        if (i === stopAt) child.kill('SIGKILL');
      }
    }
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ started, ended, code, signal, stderr });
    });
  });
}

const dir = tempDir('safe-state-sync-loop-');
const servers = () => testServers();
const where = (kind: TargetKind) => ({ dir, url: kind.startsWith('redis') ? servers().redisUrl : kind.includes('mysql') ? servers().mysqlUrl : servers().postgresUrl });

const SYNC_KINDS: TargetKind[] = ['redis-url', 'redis-client', 'mysql-pool', 'mysql-promise-conn', 'pg-pool', 'pg-client', 'sqlite', 'knex-pg', 'knex-mysql', 'knex-sqlite'];
const AWAIT_KINDS: TargetKind[] = ['redis-url', 'mysql-pool', 'pg-pool', 'knex-pg'];

describe('for..of: the completion of item k is stored before item k+1 is handed out (SIGKILL in item 20 of 50)', () => {
  const cases: [TargetKind, 'sync' | 'await'][] = [...SYNC_KINDS.map((k) => [k, 'sync'] as [TargetKind, 'sync']), ...AWAIT_KINDS.map((k) => [k, 'await'] as [TargetKind, 'await'])];
  it.each(cases)('%s, %s body: the rerun starts at item 20', async (kind, mode) => {
    const desc = uniqueTarget(kind, where(kind));
    const name = `sync-loop-${kind}-${mode}`;
    const first = await runChild(desc, name, mode, STOP);
    expect({ signal: first.signal, stderr: first.stderr, last: first.started[first.started.length - 1] }).toEqual({ signal: 'SIGKILL', stderr: '', last: STOP });
    const second = await runChild(desc, name, mode, -1);
    expect({ code: second.code, ended: second.ended, stderr: second.stderr }).toEqual({ code: 0, ended: true, stderr: '' });
    expect(second.started[0]).toBe(STOP);
    expect(second.started).toEqual(Array.from({ length: N - STOP }, (_, i) => STOP + i));
    const { backend, close } = await openBackend(desc);
    try {
      expect(await backend.exists(name)).toBe(false);
    } finally {
      await close();
    }
  });
});
