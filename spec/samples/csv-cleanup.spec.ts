/**
 * samples/csv-cleanup, run as a child process: stopped by an error or killed (SIGKILL) right after
 * writing a row, then resumed. The cleaned file must come out byte for byte as from one
 * uninterrupted run: no row lost, none written twice.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanUp, runSample, statePattern, verboseLines, workDir, freshLine } from './sample-runner';
import { cleanRow, parseCsvRecord, isoDate, toCsvLine } from '../../samples/csv-cleanup/clean-csv';

const SCRIPT = 'csv-cleanup/clean-csv.ts';
const OUT = 'customers.clean.csv';

let reference: Promise<string> | null = null;
/** The output of one uninterrupted run (made once, in a directory of its own). */
function referenceOutput(): Promise<string> {
  reference ??= (async () => {
    const cwd = workDirKept();
    const r = await runSample(SCRIPT, [], cwd);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('this run: 265 rows written, 35 dropped; customers.clean.csv is complete\n');
    return fs.readFileSync(path.join(cwd, OUT), 'utf8');
  })();
  return reference;
}
const kept: string[] = [];
function workDirKept(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-csv-ref-'));
  kept.push(d);
  return d;
}

afterEach(cleanUp);
afterAll(() => kept.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('samples/csv-cleanup', () => {
  it('cleans rows: names, emails, phones, dates, countries; drops invalid and duplicate emails', () => {
    expect(cleanRow({ id: '3', name: '  Müller,   sofia ', email: ' SOFIA.M@EXAMPLE.COM ', phone: '+1 (867) 484-9259', signup_date: '4 Mar 2021', country: ' U.S. ' })).toEqual({
      ok: true,
      email: 'sofia.m@example.com',
      fields: ['3', 'Sofia Müller', 'sofia.m@example.com', '+18674849259', '2021-03-04', 'US'],
    });
    expect(cleanRow({ id: '2', name: 'x', email: 'noah at example.com', phone: '', signup_date: '', country: '' })).toEqual({ ok: false, reason: 'invalid email' });
    expect([isoDate('03/04/2021'), isoDate('2021-3-4'), isoDate('yesterday')]).toEqual(['2021-03-04', '2021-03-04', '']);
    expect(parseCsvRecord('1,"a, ""b""",c')).toEqual(['1', 'a, "b"', 'c']);
    expect(parseCsvRecord('1,"open')).toBeNull();
    expect(toCsvLine(['a,b', 'say "hi"', 'x'])).toBe('"a,b","say ""hi""",x\n');
  });

  it('stopped by an error at row 150, the rerun resumes the stream there and the output is exact', async () => {
    const cwd = workDir();
    const [expected, first] = await Promise.all([referenceOutput(), runSample(SCRIPT, ['--fail-at', '150'], cwd)]);
    expect(first.code).toBe(1);
    expect(verboseLines(first.stderr)).toEqual([
      freshLine(cwd, 'csv-cleanup'),
      "[safe-state] 'csv-cleanup' failed at item 149: Error: cannot clean row 150: unexpected value",
      expect.stringMatching(new RegExp(`^\\[safe-state\\] progress 149/\\? saved to ${statePattern(cwd)}/csv-cleanup-[0-9a-f]{12}\\.safestate$`)),
    ]);
    const partial = fs.readFileSync(path.join(cwd, OUT), 'utf8');
    expect(expected.startsWith(partial)).toBe(true);

    const second = await runSample(SCRIPT, [], cwd);
    expect(second.code).toBe(0);
    expect(verboseLines(second.stderr)).toEqual([
      "[safe-state] resuming 'csv-cleanup': 149/? done (run #2)",
      '[safe-state] skipped 149 done items',
      "[safe-state] job 'csv-cleanup' complete; checkpoint cleared",
    ]);
    expect(fs.readFileSync(path.join(cwd, OUT), 'utf8')).toBe(expected);
  });

  it('killed right after writing row 200 (before it was recorded): the rerun cuts that row and writes it once', async () => {
    const cwd = workDir();
    const [expected, crashed] = await Promise.all([referenceOutput(), runSample(SCRIPT, ['--crash-after', '200'], cwd)]);
    expect(crashed.signal).toBe('SIGKILL');
    const partial = fs.readFileSync(path.join(cwd, OUT), 'utf8');
    expect(partial.split('\n').at(-2)).toMatch(/^200,/); // the row the checkpoint does not know about

    const rerun = await runSample(SCRIPT, [], cwd);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)[0]).toBe("[safe-state] resuming 'csv-cleanup': 199/? done (run #2)");
    const out = fs.readFileSync(path.join(cwd, OUT), 'utf8');
    expect(out.split('\n').filter((l) => l.startsWith('200,'))).toHaveLength(1);
    expect(out).toBe(expected);
  });
});
