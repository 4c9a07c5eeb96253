/**
 * samples/welcome-emails, run as a child process: it fails (a thrown SMTP error) or is killed
 * (SIGKILL), new users sign up, and the rerun welcomes everyone exactly once (except at most the
 * email in flight at the kill).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanUp, fileLines, runSample, verboseLines, workDir, freshLine } from './sample-runner';
import { userNumber } from '../../samples/welcome-emails/send-welcome-emails';

const SCRIPT = 'welcome-emails/send-welcome-emails.ts';
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => userNumber(from + i).id);
const outbox = (cwd: string) => fileLines(cwd, 'outbox.log').map((l) => l.split(' ')[0]);

afterEach(cleanUp);

describe('samples/welcome-emails', () => {
  it('fails at a user, then resumes by user id although new users signed up meanwhile', async () => {
    const cwd = workDir();
    const first = await runSample(SCRIPT, ['--fail-at', 'u0040'], cwd);
    expect(first.code).toBe(1);
    expect(verboseLines(first.stderr)).toEqual([
      freshLine(cwd, 'welcome-emails'),
      "[safe-state] 'welcome-emails' failed at item 40: SmtpError: 421 Too many connections",
      `[safe-state] progress 40/200 saved to ${path.join(fs.realpathSync(cwd), '.safe_state')}/welcome-emails-0fb39e3220b7.safestate`,
    ]);
    expect(first.stdout).toBe('sent 40 welcome emails this run\n');
    expect(outbox(cwd)).toEqual(ids(0, 40));

    const second = await runSample(SCRIPT, ['--signups', '5'], cwd);
    expect(second.code).toBe(0);
    expect(verboseLines(second.stderr)).toEqual([
      "[safe-state] resuming 'welcome-emails': 40/205 done (run #2)",
      '[safe-state] skipped 40 done items',
      "[safe-state] job 'welcome-emails' complete; checkpoint cleared",
    ]);
    expect(second.stdout).toBe('sent 165 welcome emails this run\n');
    expect(outbox(cwd)).toEqual(ids(0, 205)); // everyone once, the new signups too
  });

  it('killed right after an email went out: the rerun repeats that one email only', async () => {
    const cwd = workDir();
    const crashed = await runSample(SCRIPT, ['--users', '120', '--crash-after', 'u0100'], cwd);
    expect(crashed.signal).toBe('SIGKILL');
    expect(outbox(cwd)).toEqual(ids(0, 101));

    const rerun = await runSample(SCRIPT, ['--signups', '3'], cwd);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)[0]).toBe("[safe-state] resuming 'welcome-emails': 100/123 done (run #2)");
    expect(outbox(cwd)).toEqual([...ids(0, 101), ...ids(100, 123)]); // u0100 twice: it was in flight
  });
});
