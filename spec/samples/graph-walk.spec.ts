/**
 * samples/graph-walk (manual mode: checkpoint() and resumeState()), run as a child process:
 * killed (SIGKILL) between checkpoints, the rerun continues from the last saved state; stopped by
 * an error, it retries only the failed page, because the job saves on its way out.
 */
import { cleanUp, fileLines, runSample, verboseLines, workDir } from './sample-runner';
import { walkOrder, linksOf } from '../../samples/graph-walk/walk-graph';

const SCRIPT = 'graph-walk/walk-graph.ts';
const ORDER = walkOrder(0, 400);
const visits = (cwd: string) => fileLines(cwd, 'visits.log').map(Number);

afterEach(cleanUp);

describe('samples/graph-walk', () => {
  it('the site: every page is reachable from page 0, links are deterministic', () => {
    expect(ORDER).toHaveLength(400);
    expect(new Set(ORDER).size).toBe(400);
    expect(linksOf(0, 400)).toEqual([1, 5, 3]);
  });

  it('killed after 155 visits with a checkpoint every 10: the rerun continues from visit 150', async () => {
    const cwd = workDir();
    const crashed = await runSample(SCRIPT, ['--crash-after', '155'], cwd);
    expect(crashed.signal).toBe('SIGKILL');
    expect(visits(cwd)).toEqual(ORDER.slice(0, 155));

    const rerun = await runSample(SCRIPT, [], cwd);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)[0]).toMatch(/^\[safe-state\] resuming 'graph-walk'/);
    expect(verboseLines(rerun.stderr).at(-1)).toBe("[safe-state] job 'graph-walk' complete; checkpoint cleared");
    expect(rerun.stdout).toBe('this run: 250 visits; 400 pages reached\n');
    // the 5 visits after the last checkpoint happen again; then the walk goes on as if never stopped
    expect(visits(cwd)).toEqual([...ORDER.slice(0, 155), ...ORDER.slice(150)]);
  });

  it('a page that fails is put back and saved on the way out: the rerun retries it and repeats nothing', async () => {
    const cwd = workDir();
    const failing = ORDER[163];
    const first = await runSample(SCRIPT, ['--fail-at', String(failing)], cwd);
    expect(first.code).toBe(1);
    expect(verboseLines(first.stderr)[1]).toBe(`[safe-state] 'graph-walk' failed at item -: PageError: page ${failing}: 502 Bad Gateway`);
    expect(first.stdout).toBe('this run: 163 visits\n');

    const rerun = await runSample(SCRIPT, [], cwd);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toBe('this run: 237 visits; 400 pages reached\n');
    expect(visits(cwd)).toEqual(ORDER);
  });
});
