/**
 * samples/custom-backend, run as a child process: a job whose checkpoint lives in a StateBackend
 * subclass of the sample's own (a JSON document per job). Killed (SIGKILL) and resumed; a second
 * run of the job while the first runs is refused by the backend's lock; a damaged document is
 * reported, not taken for a fresh start.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanUp, fileLines, runSample, startSample, verboseLines, waitFor, workDir } from './sample-runner';
import { JsonDirBackend } from '../../samples/custom-backend/json-dir-backend';
import { CheckpointCorruptError, JobLockedError, type LockHolder } from '../../lib/index';

const currentHolderForTests = (): LockHolder => ({ pid: process.pid, host: os.hostname(), since: Date.now(), startTime: null });

const SCRIPT = 'custom-backend/sync-orders.ts';
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const warehouse = (cwd: string) => fileLines(cwd, 'warehouse.log').map(Number);

afterEach(cleanUp);

describe('samples/custom-backend', () => {
  it('killed right after order 60: the JSON document holds the progress, and the rerun repeats only order 60', async () => {
    const cwd = workDir();
    const crashed = await runSample(SCRIPT, ['--crash-after', '60'], cwd);
    expect(crashed.signal).toBe('SIGKILL');
    const docs = fs.readdirSync(path.join(cwd, 'order-state')).filter((f) => f.endsWith('.json'));
    expect(docs).toHaveLength(1);
    const doc = JSON.parse(fs.readFileSync(path.join(cwd, 'order-state', docs[0]), 'utf8'));
    expect(doc).toMatchObject({ job: 'sync-orders', data: expect.stringContaining('"w":60') });

    const status = await runSample(SCRIPT, ['--status'], cwd);
    expect(status.stdout).toBe(`jobs in ${fs.realpathSync(cwd)}/order-state: sync-orders\nsync-orders: 60/150 done, 1 run(s), last failure: none\n`);

    const rerun = await runSample(SCRIPT, [], cwd); // the dead run's lock file is taken over
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)).toEqual([
      "[safe-state] resuming 'sync-orders': 60/150 done (run #2)",
      '[safe-state] skipped 60 done items',
      "[safe-state] job 'sync-orders' complete; checkpoint cleared",
    ]);
    expect(warehouse(cwd)).toEqual([...ids(0, 61), ...ids(60, 150)]);
    expect(fs.readdirSync(path.join(cwd, 'order-state'))).toEqual([]);
  });

  it('a second run while the first one runs is refused by the backend lock', async () => {
    const cwd = workDir();
    const first = startSample(SCRIPT, ['--delay', '100'], cwd); // 15 s in all: it is still running when the second starts
    await waitFor('five orders pushed', () => warehouse(cwd).length >= 5);
    const second = await runSample(SCRIPT, [], cwd);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`stopped: JobLockedError: job 'sync-orders' is already running (held by pid ${first.child.pid} on `);
    first.child.kill('SIGKILL');
    await first.done;
    const third = await runSample(SCRIPT, [], cwd);
    expect(third.code).toBe(0);
    expect(new Set(warehouse(cwd))).toEqual(new Set(ids(0, 150)));
  });

  it('the backend: the four methods, list(), lock(), and damage reported as CheckpointCorruptError', async () => {
    const dir = workDir();
    const b = new JsonDirBackend(dir);
    expect(await b.load('a')).toBeNull();
    await b.save('a', 'text\n');
    await b.save('b/../c', 'more\n');
    expect(await b.load('a')).toBe('text\n');
    expect(await b.exists('b/../c')).toBe(true);
    expect(await b.list()).toEqual(['a', 'b/../c']);
    await b.delete('a');
    expect(await b.exists('a')).toBe(false);
    const lock = await b.lock('c', currentHolderForTests());
    await expect(b.lock('c', { ...currentHolderForTests(), pid: 1 })).rejects.toBeInstanceOf(JobLockedError);
    await lock.release();
    await (await b.lock('c', currentHolderForTests())).release();
    fs.writeFileSync(b.location('b/../c'), '{"job": "b/../c", "da');
    await expect(b.load('b/../c')).rejects.toBeInstanceOf(CheckpointCorruptError);
  });
});
