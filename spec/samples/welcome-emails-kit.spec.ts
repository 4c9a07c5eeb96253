/**
 * samples/welcome-emails under the test kit (`safe-state/testing`), in process: the same stories as
 * welcome-emails.spec.ts (killed after an email went out, a refused email, new signups between
 * runs), told at a chosen user in milliseconds, with nothing written to a `.safe_state/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { testJob } from '../../lib/testing';
import { FakeMailer, SmtpError, WelcomeEmails, userNumber, type User } from '../../samples/welcome-emails/send-welcome-emails';
import { tempDir } from '../helpers';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A test's users, its outbox file and a job that reads both afresh on every run (like the sample). */
function setUp(count: number, failAt: string | null = null) {
  const dir = tempDir('safe-state-welcome-kit-');
  dirs.push(dir);
  const outbox = path.join(dir, 'outbox.log');
  const users: User[] = Array.from({ length: count }, (_, n) => userNumber(n));
  const sent = () => (fs.existsSync(outbox) ? fs.readFileSync(outbox, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]) : []);
  const options = { outbox, failAt, crashAfter: null, delayMs: 0 };
  const t = testJob(() => new WelcomeEmails(new FakeMailer(options)).run(users));
  return { t, users, sent, options };
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => userNumber(from + i).id);

describe('samples/welcome-emails under safe-state/testing', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => (stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true))); // the sample is verbose
  afterEach(() => stderr.mockRestore());

  it('killed right after the email to u0004 went out: new users sign up, the rerun repeats that one email only', async () => {
    const { t, users, sent } = setUp(10);
    const r1 = await t.run({ killAt: 'u0004' });
    expect(r1).toMatchObject({ killed: true, processed: ids(0, 5) });
    expect(sent()).toEqual(ids(0, 5));
    expect([...(await t.checkpoint())!.completedKeys!]).toEqual(ids(0, 4));

    users.push(userNumber(10), userNumber(11)); // signups between the runs: key mode expects them
    const r2 = await t.run();
    expect(r2).toMatchObject({ completed: true, resumedAt: 'u0004', processed: ids(4, 12) });
    expect(t.repeated).toEqual(['u0004']);
    expect(sent()).toEqual([...ids(0, 5), ...ids(4, 12)]);
  });

  it('a save torn by the kill at u0002: the rerun sends u0002 again and nothing else', async () => {
    const { t, sent } = setUp(5);
    expect((await t.run({ killInSaveAt: 'u0002' })).killed).toBe(true);
    expect(await t.run()).toMatchObject({ completed: true, resumedAt: 'u0002' });
    expect(sent()).toEqual([...ids(0, 3), ...ids(2, 5)]);
  });

  it('the mail server refuses u0003: the failure is recorded, nothing is sent twice', async () => {
    const { t, sent, options } = setUp(6, 'u0003');
    const r1 = await t.run();
    expect(r1.error).toBeInstanceOf(SmtpError);
    expect((await t.checkpoint())!.lastFailure).toMatchObject({ index: 3, name: 'SmtpError' });
    options.failAt = null; // the server accepts again
    expect(await t.run()).toMatchObject({ completed: true, resumedAt: 'u0003' });
    expect(t.repeated).toEqual(['u0003']); // its body ran twice, but the first time no email went out
    expect(sent()).toEqual(ids(0, 6));
  });
});
