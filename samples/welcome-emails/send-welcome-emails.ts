/**
 * Sample: welcome emails that are sent once per user, even when the run dies half-way and new
 * users sign up before the rerun.
 *
 * The job resumes by **identity** (`key: user => user.id`), not by position: the user list is
 * read fresh on every run, and it grows between runs (new signups are appended to `users.json`).
 * A rerun skips the users already welcomed, whatever their position now, and welcomes the rest,
 * new signups included.
 *
 * Usage (from any working directory; `users.json`, `outbox.log` and `.safe_state/` live there):
 *
 *   npx tsx samples/welcome-emails/send-welcome-emails.ts [--fail-at ID] [--crash-after ID] [--signups N] [--users N] [--delay MS]
 *
 * - `--users N`: how many users `users.json` starts with when it does not exist yet (default 200).
 * - `--signups N`: before sending, N new users sign up (appended to `users.json`).
 * - `--fail-at ID`: the mail server refuses user ID (`SmtpError: 421 Too many connections`).
 * - `--crash-after ID`: the process kills itself (SIGKILL) right after the email to user ID went
 *   out, before safe-state could record it: the one email a crash can repeat.
 * - `--delay MS`: time per email (default 0).
 *
 * Output: safe-state's verbose lines on stderr; on stdout `sent <n> welcome emails this run`.
 * Every email is appended to `outbox.log` as `<user id> <address>`. Exit code 0 when every user is
 * welcomed, 1 when the run stopped on an error.
 */
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeState, SafeStateError } from '../../lib/index';

/** A user to welcome. */
export interface User {
  /** Stable identity: what the job resumes by. */
  id: string;
  email: string;
  name: string;
}

/** The error a busy mail server answers with. */
export class SmtpError extends Error {
  static {
    this.prototype.name = 'SmtpError';
  }
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Niklaus'];

/** The user with number `n` (deterministic, so every run of the sample sees the same people). */
export function userNumber(n: number): User {
  const id = `u${String(n).padStart(4, '0')}`;
  const name = `${FIRST[n % FIRST.length]} ${String.fromCharCode(65 + (n % 26))}.`;
  return { id, name, email: `${FIRST[n % FIRST.length].toLowerCase()}.${n}@example.com` };
}

/** Reads `users.json` (creating it with `initial` users), after appending `signups` new users. */
export function loadUsers(file: string, initial: number, signups: number): User[] {
  const users: User[] = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as User[]) : Array.from({ length: initial }, (_, n) => userNumber(n));
  for (let i = 0; i < signups; i++) users.push(userNumber(users.length));
  fs.writeFileSync(file, JSON.stringify(users, null, 1) + '\n');
  return users;
}

/** A pretend mail client: appends each email to `outbox.log`. */
export class FakeMailer {
  sent = 0;
  constructor(private readonly options: { outbox: string; failAt: string | null; crashAfter: string | null; delayMs: number }) {}

  async send(user: User, subject: string): Promise<void> {
    if (this.options.delayMs > 0) await sleep(this.options.delayMs);
    if (user.id === this.options.failAt) throw new SmtpError('421 Too many connections');
    fs.appendFileSync(this.options.outbox, `${user.id} ${user.email}\n`);
    this.sent++;
    void subject;
    if (user.id === this.options.crashAfter) process.kill(process.pid, 'SIGKILL');
  }
}

/** The job. The decorator is the only part about safe-state. */
export class WelcomeEmails {
  constructor(private readonly mailer: FakeMailer) {}

  // key: resume by user id, so a list that changed between runs (new signups) is expected, not an
  // InputChangedError. verbose: progress lines on stderr (a live progress line on a terminal).
  @SafeState({ name: 'welcome-emails', key: (user: User) => user.id, verbose: true })
  async run(users: User[]): Promise<void> {
    for (const user of users) {
      await this.mailer.send(user, `Welcome, ${user.name}!`);
    }
  }
}

interface Args {
  users: number;
  signups: number;
  failAt: string | null;
  crashAfter: string | null;
  delayMs: number;
}

function usage(problem?: string): never {
  const text = 'usage: send-welcome-emails [--fail-at ID] [--crash-after ID] [--signups N] [--users N] [--delay MS]';
  if (problem) {
    console.error(`${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) usage(`${flag} must be a non-negative integer (got ${text})`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { users: 200, signups: 0, failAt: null, crashAfter: null, delayMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--users') args.users = count(flag, value());
    else if (flag === '--signups') args.signups = count(flag, value());
    else if (flag === '--fail-at') args.failAt = value();
    else if (flag === '--crash-after') args.crashAfter = value();
    else if (flag === '--delay') args.delayMs = count(flag, value());
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument ${flag}`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const users = loadUsers('users.json', args.users, args.signups);
  const mailer = new FakeMailer({ outbox: 'outbox.log', failAt: args.failAt, crashAfter: args.crashAfter, delayMs: args.delayMs });
  try {
    await new WelcomeEmails(mailer).run(users);
    console.log(`sent ${mailer.sent} welcome emails this run`);
  } catch (error) {
    console.log(`sent ${mailer.sent} welcome emails this run`);
    const e = error as Error;
    console.error(`stopped: ${e.name}: ${e.message}${SafeStateError.is(e) ? '' : ' (run the same command again to resume)'}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
