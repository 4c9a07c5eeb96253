/**
 * The command line and the failed items of `onItemError: 'skip'`: the FAILED column of `list`,
 * `show` (text and --json), and `reset --failed`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeState, JobFailuresError } from '../../lib/index';
import { range, tempDir } from '../helpers';
import { cli } from './cli-helpers';

const cwd = tempDir('safe-state-cli-failed-');
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

function skipJob(name: string, bad: Set<number>, ran: number[]) {
  return safeState(async (xs: number[]) => {
    for (const x of xs) {
      ran.push(x);
      if (bad.has(x)) throw new RangeError(`bad row ${x}`);
    }
  }, { name, stateDir: path.join(cwd, '.safe_state'), onItemError: 'skip' });
}

describe('the CLI and failed items', () => {
  it('list shows a FAILED column, show lists the failed items, --json has them, reset --failed forgets them', async () => {
    const ran: number[] = [];
    const job = skipJob('rows', new Set([3, 4, 7]), ran);
    await expect(job(range(10))).rejects.toBeInstanceOf(JobFailuresError);

    const [list, listJson, show, showJson] = await Promise.all([
      cli(cwd, ['list']), cli(cwd, ['list', '--json']), cli(cwd, ['show', 'rows']), cli(cwd, ['show', 'rows', '--json']),
    ]);
    expect(list.code).toBe(0);
    const [header, row] = list.stdout.split('\n');
    expect(header).toMatch(/DONE\s+FAILED\s+RUNS/);
    expect(row).toMatch(/ 7\/10\s+3\s+\d+ /);
    expect(JSON.parse(listJson.stdout).jobs[0]).toMatchObject({ job: 'rows', done: 7, failed: 3, total: 10 });
    expect(show.stdout).toContain('failed items  3: 3-4,7\n');
    expect(show.stdout).toContain('item 3: RangeError: bad row 3 (1 try)');
    expect(show.stdout).toMatch(/done items\s+0-2,5-6,8-9\n/);
    expect(show.stdout).toContain('the next run starts with item 3');
    const detail = JSON.parse(showJson.stdout);
    expect(detail).toMatchObject({ done: 7, failed: 3, nextItem: 3, doneRanges: '0-2,5-6,8-9' });
    expect(detail.failedItems).toMatchObject({ count: 3, ranges: '3-4,7', keys: null });
    expect(detail.failedItems.details.map((d: { index: number }) => d.index)).toEqual([3, 4, 7]);

    const forgot = await cli(cwd, ['reset', 'rows', '--failed']);
    expect(forgot).toEqual({ code: 0, stdout: "forgot 3 failed items of job 'rows': they count as done now (10/10); the next run does not run them\n", stderr: '' });
    const again = await cli(cwd, ['reset', 'rows', '--failed', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ job: 'rows', forgotten: 0, done: 10, total: 10 });
    const cp = (await job.peekCheckpoint())!;
    expect(cp.failedItems.count).toBe(0);
    ran.length = 0;
    await job(range(10)); // nothing left to run: the job completes
    expect(ran).toEqual([]);
    expect(await job.peekCheckpoint()).toBeNull();
  });

  it('without --failed the next run runs only the failed items; --failed is a reset option only', async () => {
    const ran: number[] = [];
    const bad = new Set([1, 8]);
    const job = skipJob('rows2', bad, ran);
    await expect(job(range(10))).rejects.toBeInstanceOf(JobFailuresError);
    ran.length = 0;
    bad.clear();
    await job(range(10));
    expect(ran).toEqual([1, 8]);
    const [misplaced, both] = await Promise.all([cli(cwd, ['show', 'rows2', '--failed']), cli(cwd, ['reset', 'rows2', '--failed', '--items', '1'])]);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('--failed belongs to the reset command');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('reset takes one of --items, --keys and --failed');
  });
});
