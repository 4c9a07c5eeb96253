/**
 * What the command line prints on a terminal, in process through runCli(argv, io): job names and
 * error messages holding terminal control sequences are printed escaped (no raw control byte, one
 * table row per job); `--json` stays exact. The checkpoints are written by real jobs in a temporary
 * directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeState } from '../../lib/index';
import { runCli } from '../../lib/cli/run-cli';
import { terminalText } from '../../lib/util/terminal-text';
import { tempDir } from '../helpers';

/** Anything a terminal would act on; `\n` is allowed (line structure), checked separately. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

/** Hostile job names, each with what an operator's terminal would do with it printed raw. */
const HOSTILE: Record<string, string> = {
  osc0: 'title\x1b]0;pwned-title\x07',
  osc8: 'link\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\',
  clear: 'wipe\x1b[2J\x1b[H',
  cursor: 'move\x1b[3A\x1b[10C\x1b7\x1b8',
  cr: 'looks-fine\rEVIL',
  bel: 'ring\x07\x07',
  newline: 'two\nlines',
  bidi: 'invoice-\u202egpj.exe',
  isolate: 'iso\u2066late\u2069',
  c1: 'c1\u009b2J\u009d0;t\u009c',
  dcs: 'dcs\x1bPq#0;2;0;0;0\x1b\\',
  zwsp: 'same\u200bname',
  del: 'del\x7fete',
};

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], columns?: number): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (t: string) => (stdout += t), isTTY: columns !== undefined, columns },
    stderr: { write: (t: string) => (stderr += t) },
    now: () => new Date(),
  });
  return { code, stdout, stderr };
}

function expectNoRawControl(text: string): void {
  const m = RAW_CONTROL.exec(text);
  expect(m ? `raw U+${m[0].codePointAt(0)!.toString(16).padStart(4, '0')} at ${m.index} in ${JSON.stringify(text.slice(Math.max(0, m.index - 30), m.index + 30))}` : 'none').toBe('none');
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A state directory holding one failed job per hostile name, each failing with a hostile message. */
async function hostileDir(): Promise<string> {
  const dir = tempDir('safe-state-term-');
  dirs.push(dir);
  for (const [key, name] of Object.entries(HOSTILE)) {
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) {
        if (x === 1) {
          const e = new Error(`msg ${HOSTILE[key]} \x1b]0;err-title\x07 end`);
          e.name = `Err\x1b[31m${key}`;
          throw e;
        }
      }
    }, { name, stateDir: dir });
    await expect(job([0, 1, 2])).rejects.toThrow('msg');
  }
  return dir;
}

describe('terminal output of the command line', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await hostileDir();
  });

  it('list: one line per job, names and failures escaped, no raw control byte; also fitted to a terminal', async () => {
    for (const columns of [undefined, 100]) {
      const out = await run(['list', '--dir', dir], columns);
      expect(out.code).toBe(0);
      expect(out.stderr).toBe('');
      expectNoRawControl(out.stdout);
      const lines = out.stdout.split('\n');
      expect(lines.length).toBe(1 + Object.keys(HOSTILE).length + 1); // header, one per job, final ''
      expect(lines[lines.length - 1]).toBe('');
      for (const line of lines.slice(1, -1)) expect(line).toMatch(/ incomplete /);
      if (columns === undefined) {
        for (const name of Object.values(HOSTILE)) expect(out.stdout).toContain(terminalText(name));
        expect(out.stdout).toContain('two\\nlines');
        expect(out.stdout).toContain('title\\x1b]0;pwned-title\\x07');
        expect(out.stdout).toContain('invoice-\\u202egpj.exe');
        expect(out.stdout).toContain('c1\\x9b2J\\x9d0;t\\x9c');
      } else {
        for (const line of lines) expect([...line].length).toBeLessThanOrEqual(100);
      }
    }
  });

  it('list --json stays exact: the names and messages parse back unchanged, and the text itself carries no raw control', async () => {
    const out = await run(['list', '--dir', dir, '--json']);
    expect(out.code).toBe(0);
    expectNoRawControl(out.stdout);
    const jobs = (JSON.parse(out.stdout) as { jobs: { job: string; lastFailure: { name: string; message: string } }[] }).jobs;
    expect(jobs.map((j) => j.job).sort()).toEqual(Object.values(HOSTILE).sort());
    for (const j of jobs) {
      const key = Object.keys(HOSTILE).find((k) => HOSTILE[k] === j.job)!;
      expect(j.lastFailure).toMatchObject({ name: `Err\x1b[31m${key}`, message: `msg ${HOSTILE[key]} \x1b]0;err-title\x07 end` });
    }
  });

  it('show: the job name, the failure and its stack are escaped (the job named by its exact name)', async () => {
    for (const [key, name] of Object.entries(HOSTILE)) {
      const out = await run(['show', '--dir', dir, '--', name]);
      expect({ key, code: out.code, stderr: out.stderr }).toEqual({ key, code: 0, stderr: '' });
      expectNoRawControl(out.stdout);
      expect(out.stdout.split('\n')[0]).toBe(`job           ${terminalText(name)}`);
      expect(out.stdout).toContain(`Err\\x1b[31m${key}: msg`);
      expect(out.stdout).toContain('\\x1b]0;err-title\\x07 end');
      const json = await run(['show', '--dir', dir, '--json', '--', name]);
      expectNoRawControl(json.stdout);
      expect(JSON.parse(json.stdout)).toMatchObject({ job: name });
    }
  });

  it('errors on stderr are escaped and stay one line: an unknown job, a usage error, a bad --dir', async () => {
    const unknown = await run(['show', '--dir', dir, '--', 'no\x1b]0;such\x07job\nforged line']);
    expect(unknown.code).toBe(1);
    expectNoRawControl(unknown.stderr);
    expect(unknown.stderr.split('\n')).toEqual([expect.stringMatching(/^safe-state: no checkpoint for job 'no\\x1b\]0;such\\x07job\\nforged line' in directory /), '']);

    const usage = await run(['li\x1b[2Jst']);
    expect(usage.code).toBe(2);
    expectNoRawControl(usage.stderr);
    expect(usage.stderr).toBe("safe-state: unknown command 'li\\x1b[2Jst'\nrun 'safe-state help' for usage\n");

    const empty = await run(['list', '--dir', path.join(dir, 'none\x1b]0;x\x07')]);
    expectNoRawControl(empty.stdout);
    expect(empty.stdout).toMatch(/^no checkpoints in directory .*none\\x1b\]0;x\\x07\n$/);
  });

  it('clear and reset print the job name escaped, on one line', async () => {
    const name = HOSTILE.newline;
    const reset = await run(['reset', '--dir', dir, '--items', '0', '--', name]);
    expect(reset.code).toBe(0);
    expectNoRawControl(reset.stdout);
    expect(reset.stdout.split('\n')).toEqual([expect.stringMatching(/^reset 1 item of job 'two\\nlines' \(item 0\): now 0\/3 done/), '']);
    const clear = await run(['clear', '--dir', dir, '--', HOSTILE.osc0]);
    expect(clear.code).toBe(0);
    expectNoRawControl(clear.stdout);
    expect(clear.stdout).toMatch(/^cleared the checkpoint of job 'title\\x1b\]0;pwned-title\\x07' \(.*\): its next run starts over\n$/);
  });

  it('help prints the same text as before, free of control characters', async () => {
    const help = await run(['help']);
    expect(help.code).toBe(0);
    expectNoRawControl(help.stdout);
    expect(help.stdout).toMatch(/^usage: safe-state <command> \[options\]\n/);
  });
});
