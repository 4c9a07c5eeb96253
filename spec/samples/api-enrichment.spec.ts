/**
 * samples/api-enrichment, run as a child process against a local HTTP API owned by the test (on
 * 127.0.0.1), which counts every call: killed (SIGKILL) while a call is in flight, the rerun
 * repeats only the calls since the last save (saveEvery: 25); stopped by an API error, it repeats
 * none but the failed one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanUp, runSample, startSample, statePattern, verboseLines, workDir, freshLine } from './sample-runner';
import { startFakeApi, profileOf, type FakeApi } from '../../samples/api-enrichment/fake-api';

const SCRIPT = 'api-enrichment/enrich-users.ts';
const COUNT = 200;
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

let api: FakeApi | null = null;
afterEach(async () => {
  cleanUp();
  await api?.close();
  api = null;
});

function calls(a: FakeApi, id: number): number {
  return a.requests.get(id) ?? 0;
}

function expectEnriched(cwd: string): void {
  const out = JSON.parse(fs.readFileSync(path.join(cwd, 'enriched.json'), 'utf8'));
  expect(out).toEqual(ids(0, COUNT).map(profileOf));
}

describe('samples/api-enrichment', () => {
  it('killed during call 60: progress saved at 50 (saveEvery: 25), the rerun repeats calls 50-60 only', async () => {
    const cwd = workDir();
    let hang!: () => void;
    const hanging = new Promise<void>((r) => (hang = r));
    api = await startFakeApi({
      onRequest: (id, count) => {
        if (id === 60 && count === 1) {
          hang();
          return 'hang'; // the call is in flight when the process dies
        }
      },
    });
    const run = startSample(SCRIPT, ['--api', api.url, '--count', String(COUNT)], cwd);
    await hanging;
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(verboseLines(killed.stderr)).toEqual([freshLine(cwd, 'api-enrichment')]);
    expect(ids(0, 61).every((id) => calls(api!, id) === 1)).toBe(true);

    const rerun = await runSample(SCRIPT, ['--api', api.url, '--count', String(COUNT)], cwd);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)).toEqual([
      "[safe-state] resuming 'api-enrichment': 50/200 done (run #2)",
      '[safe-state] skipped 50 done items',
      "[safe-state] job 'api-enrichment' complete; checkpoint cleared",
    ]);
    expect(rerun.stdout).toBe('this run: 150 API calls; enriched.json: 200 users\n');
    const repeated = ids(0, COUNT).filter((id) => calls(api!, id) > 1);
    expect(repeated).toEqual(ids(50, 61)); // the 10 unsaved calls and the one in flight
    expect(ids(0, COUNT).every((id) => calls(api!, id) >= 1)).toBe(true);
    expectEnriched(cwd); // one profile per user, duplicates folded
  });

  it('an API error saves every completed call although saveEvery is 25: the rerun repeats only the failed call', async () => {
    const cwd = workDir();
    api = await startFakeApi({ failAt: 70 });
    const first = await runSample(SCRIPT, ['--api', api.url], cwd);
    expect(first.code).toBe(1);
    expect(verboseLines(first.stderr)).toEqual([
      freshLine(cwd, 'api-enrichment'),
      "[safe-state] 'api-enrichment' failed at item 70: ApiError: 503 Service Unavailable",
      expect.stringMatching(new RegExp(`^\\[safe-state\\] progress 70/200 saved to ${statePattern(cwd)}/api-enrichment-[0-9a-f]{12}\\.safestate$`)),
    ]);
    const rerun = await runSample(SCRIPT, ['--api', api.url], cwd);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)[0]).toBe("[safe-state] resuming 'api-enrichment': 70/200 done (run #2)");
    expect(ids(0, COUNT).filter((id) => calls(api!, id) !== 1)).toEqual([70]);
    expect(calls(api, 70)).toBe(2);
    expectEnriched(cwd);
  });
});
