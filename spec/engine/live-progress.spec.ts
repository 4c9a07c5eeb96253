/**
 * Verbose mode's live progress line: its rendering in isolation, the redraw machinery under fake
 * timers, a job on a (pretend) terminal, and plain lines only when stderr is not a terminal.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { safeState } from '../../lib/index';
import { formatDuration, formatRate, RateMeter, renderLiveLine, StatusLine, LIVE_INTERVAL_MS } from '../../lib/engine/live-progress';
import { range, tempDir, TS_NODE } from '../helpers';

/** The verbose start line of a job on a FileBackend: it names the absolute checkpoint path. */
const freshLine = (name: string, prefix = '[safe-state] ', end = '\n') =>
  expect.stringMatching(new RegExp(`^${prefix.replace(/[[\]]/g, '\\$&')}starting fresh job '${name}' \\(checkpoint /.+/${name}-[0-9a-f]{12}\\.safestate\\)${end}$`));

describe('renderLiveLine', () => {
  const base = { name: 'image-scrape', done: 233, total: 500, rate: 118.4, etaMs: 2256, columns: 100 };

  it('shows name, bar, percent, done/total, rate and ETA', () => {
    expect(renderLiveLine(base)).toBe('[safe-state] image-scrape [█████████▎░░░░░░░░░░]  47% 233/500  118/s  ETA 0:02');
    expect(renderLiveLine({ ...base, rate: null, etaMs: null })).toBe('[safe-state] image-scrape [█████████▎░░░░░░░░░░]  47% 233/500  ETA --:--');
    expect(renderLiveLine({ ...base, done: 500, etaMs: 0 })).toBe('[safe-state] image-scrape [████████████████████] 100% 500/500  118/s  ETA 0:00');
  });

  it('without a known total: the count and the rate, no bar and no ETA', () => {
    expect(renderLiveLine({ ...base, total: null, etaMs: null, rate: 2.5 })).toBe('[safe-state] image-scrape 233 done  2.5/s');
  });

  it('never reaches the last column: narrows the bar, then drops it, the rate and the ETA, then cuts', () => {
    const at = (columns: number, name = base.name) => renderLiveLine({ ...base, name, columns });
    expect(at(70)).toBe('[safe-state] image-scrape [████▋░░░░░]  47% 233/500  118/s  ETA 0:02');
    expect(at(60)).toBe('[safe-state] image-scrape  47% 233/500  118/s  ETA 0:02');
    expect(at(50)).toBe('[safe-state] image-scrape  47% 233/500  ETA 0:02');
    expect(at(40)).toBe('[safe-state] image-scrape  47% 233/500');
    expect(at(20)).toBe('[safe-state] image…');
    const long = 'a-rather-long-job-name-from-a-tenant-'.repeat(3);
    expect(at(80, long)).toBe('[safe-state] a-rather-lon… [█████████▎░░░░░░░░░░]  47% 233/500  118/s  ETA 0:02');
    for (const columns of [200, 120, 80, 60, 50, 40, 30, 20, 5]) {
      for (const name of [base.name, long, 'x']) expect([...at(columns, name)].length).toBeLessThanOrEqual(Math.max(20, columns) - 1);
    }
  });

  it('formats durations and rates', () => {
    expect([0, 7_000, 65_000, 3_600_000 + 62_000, 2 * 86_400_000 + 3 * 3_600_000].map(formatDuration)).toEqual(['0:00', '0:07', '1:05', '1:01:02', '2d 03h']);
    expect([1234.5, 12.4, 2.51, 0.2, 0.001].map(formatRate)).toEqual(['1235/s', '12/s', '2.5/s', '12/min', '4/h']);
  });

  it('measures the rate over the recent window', () => {
    const m = new RateMeter(10_000);
    m.add(0, 0);
    expect(m.rate()).toBeNull();
    m.add(1000, 100);
    expect(m.rate()).toBe(100);
    for (let t = 2000; t <= 30_000; t += 1000) m.add(t, 100 + (t - 1000) / 100); // slows to 10/s
    expect(m.rate()).toBeCloseTo(10, 5);
  });
});

describe('StatusLine', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function fakeTerminal() {
    const writes: string[] = [];
    return { writes, stream: { isTTY: true, columns: 100, write: (t: string) => writes.push(t) } };
  }

  it('redraws in place a few times per second from a timer, erases itself before other output, and stops', () => {
    const { writes, stream } = fakeTerminal();
    let now = 0;
    const line = new StatusLine(stream, LIVE_INTERVAL_MS, () => now);
    let done = 0;
    const stop = line.add('job', () => ({ done, total: 100 }));
    expect(writes).toEqual([]); // nothing drawn before the first tick
    done = 10;
    now = 250;
    jest.advanceTimersByTime(LIVE_INTERVAL_MS);
    expect(writes).toEqual(['\r[safe-state] job [██░░░░░░░░░░░░░░░░░░]  10% 10/100  40/s  ETA 0:02\x1b[K']);
    line.clear();
    line.clear(); // erasing twice writes once
    expect(writes.slice(1)).toEqual(['\r\x1b[K']);
    done = 20;
    now = 500;
    jest.advanceTimersByTime(LIVE_INTERVAL_MS);
    expect(writes[2]).toMatch(/^\r\[safe-state\] job \[████░+\]  20% 20\/100  40\/s  ETA 0:02\x1b\[K$/);
    stop();
    expect(writes[3]).toBe('\r\x1b[K');
    jest.advanceTimersByTime(10 * LIVE_INTERVAL_MS);
    expect(writes).toHaveLength(4); // the timer is gone
    expect(jest.getTimerCount()).toBe(0);
  });

  it('takes a terminal that does not tell its width (columns 0) as 80 columns wide', () => {
    const writes: string[] = [];
    const line = new StatusLine({ isTTY: true, columns: 0, write: (t: string) => writes.push(t) }, LIVE_INTERVAL_MS, () => 0);
    const stop = line.add('a-job-with-a-name', () => ({ done: 1, total: 2 }));
    jest.advanceTimersByTime(LIVE_INTERVAL_MS);
    expect(writes[0]).toBe('\r[safe-state] a-job-with-a-name [██████████░░░░░░░░░░]  50% 1/2  ETA --:--\x1b[K');
    stop();
  });

  it('shows the job that started last, and the previous one again when it ends', () => {
    const { writes, stream } = fakeTerminal();
    const line = new StatusLine(stream, LIVE_INTERVAL_MS, () => 0);
    const stopA = line.add('first', () => ({ done: 1, total: 2 }));
    const stopB = line.add('second', () => ({ done: 1, total: 4 }));
    jest.advanceTimersByTime(LIVE_INTERVAL_MS);
    expect(writes.pop()).toContain('] second [');
    stopB();
    jest.advanceTimersByTime(LIVE_INTERVAL_MS);
    expect(writes.pop()).toContain('] first [');
    stopA();
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('verbose: true on a terminal', () => {
  const stderr = process.stderr as NodeJS.WriteStream & { isTTY?: boolean };
  const wasTTY = stderr.isTTY;
  afterEach(() => {
    stderr.isTTY = wasTTY;
    jest.restoreAllMocks();
  });

  function captureStderr(): string[] {
    const writes: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    });
    return writes;
  }

  it('draws a live line between the plain lines, and leaves the plain lines intact', async () => {
    stderr.isTTY = true;
    const writes = captureStderr();
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) {
        void x;
        await new Promise((r) => setTimeout(r, 40));
      }
    }, { name: 'live-job', stateDir: tempDir(), verbose: true });
    await job(range(25)); // about a second: several redraws
    const live = writes.filter((w) => w.startsWith('\r[safe-state] live-job ['));
    expect(live.length).toBeGreaterThanOrEqual(2);
    for (const w of live) expect(w).toMatch(/^\r\[safe-state\] live-job \[[█▏▎▍▌▋▊▉░]{20}\] +\d+% \d+\/25 .*ETA \d+:\d\d\x1b\[K$/);
    // the plain lines, each on a clean line: a drawn live line is erased first
    const plain = writes.filter((w) => !w.startsWith('\r'));
    expect(plain).toEqual([freshLine('live-job'), "[safe-state] job 'live-job' complete; checkpoint cleared\n"]);
    const last = writes.lastIndexOf("[safe-state] job 'live-job' complete; checkpoint cleared\n");
    expect(writes[last - 1]).toBe('\r\x1b[K');
    expect(writes.slice(last + 1)).toEqual([]); // nothing drawn after the end
  });

  it('a failure erases the line, then prints the failure lines as usual', async () => {
    stderr.isTTY = true;
    const writes = captureStderr();
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) {
        if (x === 12) throw new Error('boom');
        await new Promise((r) => setTimeout(r, 40));
      }
    }, { name: 'live-fail', stateDir: tempDir(), verbose: true });
    await expect(job(range(20))).rejects.toThrow('boom');
    const plain = writes.filter((w) => !w.startsWith('\r'));
    expect(plain.slice(0, 2)).toEqual([freshLine('live-fail'), "[safe-state] 'live-fail' failed at item 12: Error: boom\n"]);
    const failed = writes.indexOf(plain[1]);
    expect(writes.slice(failed).filter((w) => w.startsWith('\r[safe-state]'))).toEqual([]);
  });

  it('no live line with a logger of your own, or with TERM=dumb', async () => {
    stderr.isTTY = true;
    const writes = captureStderr();
    const lines: string[] = [];
    const slow = async (xs: number[]) => {
      for await (const x of xs) {
        void x;
        await new Promise((r) => setTimeout(r, 30));
      }
    };
    await safeState(slow, { name: 'own-logger', stateDir: tempDir(), verbose: { info: (m) => lines.push(m), warn: (m) => lines.push(m) } })(range(15));
    const term = process.env.TERM;
    process.env.TERM = 'dumb';
    try {
      await safeState(slow, { name: 'dumb', stateDir: tempDir(), verbose: true })(range(15));
    } finally {
      if (term === undefined) delete process.env.TERM;
      else process.env.TERM = term;
    }
    expect(lines).toEqual([freshLine('own-logger', '', ''), "job 'own-logger' complete; checkpoint cleared"]);
    expect(writes).toEqual([freshLine('dumb'), "[safe-state] job 'dumb' complete; checkpoint cleared\n"]);
  });
});

describe('verbose: true when stderr is not a terminal', () => {
  it('writes the plain lines only, in a real process whose stderr is a pipe', async () => {
    const dir = tempDir();
    const script = `
      const { safeState } = require(${JSON.stringify(path.resolve(__dirname, '../../lib/index'))});
      const job = safeState(async (xs) => {
        for await (const x of xs) {
          if (x === 15 && process.argv[1] === 'fail') throw new Error('boom');
          await new Promise((r) => setTimeout(r, 40));
        }
      }, { name: 'piped', stateDir: ${JSON.stringify(dir)}, verbose: true });
      job(Array.from({ length: 20 }, (_, i) => i)).catch(() => { process.exitCode = 1; });
    `;
    const tsx = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
    const run = (arg: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(TS_NODE[0], ['--import', tsx, '-e', script, arg], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TERM: 'xterm-256color' } });
        let stderrText = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderrText += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr: stderrText }));
      });
    const failed = await run('fail');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      [
        `[safe-state] starting fresh job 'piped' (checkpoint ${path.join(dir, failed.stderr.match(/saved to .*\/(piped-[0-9a-f]{12}\.safestate)/)![1])})`,
        "[safe-state] 'piped' failed at item 15: Error: boom",
        `[safe-state] progress 15/20 saved to ${path.join(dir, failed.stderr.match(/saved to .*\/(piped-[0-9a-f]{12}\.safestate)/)![1])}`,
        '',
      ].join('\n'),
    );
    const resumed = await run('ok');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toBe(
      ["[safe-state] resuming 'piped': 15/20 done (run #2)", '[safe-state] skipped 15 done items', "[safe-state] job 'piped' complete; checkpoint cleared", ''].join('\n'),
    );
  });
});
