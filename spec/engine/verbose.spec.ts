import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeState, concurrently, MemoryBackend } from '../../lib/index';
import { range, tempDir } from '../helpers';

describe('verbose output', () => {
  it('prints the lines of a failed and a resumed run', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warn: ${m}`) };
    class ConnectionError extends Error {
      override name = 'ConnectionError';
    }
    let failAt = 233;
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) if (x === failAt) throw new ConnectionError('Read timed out');
    }, { name: 'image-scrape', stateDir: dir, verbose: logger });
    await expect(job(range(500))).rejects.toThrow('Read timed out');
    failAt = -1;
    await job(range(500));
    expect(path.isAbsolute(job.checkpointPath!)).toBe(true);
    expect(lines).toEqual([
      `starting fresh job 'image-scrape' (checkpoint ${job.checkpointPath})`, // where it looked, absolute
      "'image-scrape' failed at item 233: ConnectionError: Read timed out",
      `progress 233/500 saved to ${job.checkpointPath}`, // absolute, wherever the job runs
      "resuming 'image-scrape': 233/500 done (run #2)",
      'skipped 233 done items',
      "job 'image-scrape' complete; checkpoint cleared",
    ]);
  });

  it('writes [safe-state] lines to stderr with verbose: true', async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const job = safeState(async (xs: number[]) => {
        for (const x of xs) void x;
      }, { name: 'to-stderr', stateDir: tempDir(), verbose: true });
      await job([1, 2]);
    } finally {
      spy.mockRestore();
    }
    expect(writes).toEqual([
      expect.stringMatching(/^\[safe-state\] starting fresh job 'to-stderr' \(checkpoint \/.+\/to-stderr-[0-9a-f]{12}\.safestate\)\n$/),
      "[safe-state] job 'to-stderr' complete; checkpoint cleared\n",
    ]);
  });

  it.each(['for-of', 'concurrently'] as const)('counts the skipped done items once, for arrays and generators (%s)', async (loop) => {
    for (const kind of ['array', 'generator'] as const) {
      const lines: string[] = [];
      const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warn: ${m}`) };
      let failAt = 3;
      const visit = async (x: number) => {
        if (x === failAt) throw new Error('f');
      };
      const job = safeState(async (xs: Iterable<number>) => {
        if (loop === 'concurrently') await concurrently(xs, 1, visit);
        else for (const x of xs) await visit(x);
      }, { name: `skips-${loop}-${kind}`, backend: new MemoryBackend(), verbose: logger });
      const input = () => (kind === 'array' ? range(6) : (function* () { yield* range(6); })());
      await expect(job(input())).rejects.toThrow('f');
      failAt = -1;
      await job(input());
      expect({ kind, skipped: lines.filter((l) => l.startsWith('skipped')) }).toEqual({ kind, skipped: ['skipped 3 done items'] });
    }
  });

  it('counts the skipped items once for sources without random access (generators, streams)', async () => {
    const dir = tempDir();
    for (const kind of ['sync', 'async'] as const) {
      const lines: string[] = [];
      let failAt = 5;
      const job = safeState(async (xs: Iterable<number> | AsyncIterable<number>) => {
        for await (const x of xs) if (x === failAt) throw new Error('f');
      }, { name: `skips-${kind}`, stateDir: dir, verbose: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) } });
      const input = kind === 'sync' ? (function* () { yield* range(8); })() : (async function* () { yield* range(8); })();
      await expect(job(input)).rejects.toThrow('f');
      failAt = -1;
      await job(kind === 'sync' ? (function* () { yield* range(8); })() : (async function* () { yield* range(8); })());
      expect(lines.slice(3)).toEqual([`resuming 'skips-${kind}': 5/? done (run #2)`, 'skipped 5 done items', `job 'skips-${kind}' complete; checkpoint cleared`]);
    }
  });

  it('prints the absolute checkpoint path also when the state directory is under the working directory', async () => {
    const lines: string[] = [];
    const rel = path.relative(process.cwd(), tempDir());
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) if (x === 1) throw new Error('f');
    }, { name: 'abs-path', stateDir: path.isAbsolute(rel) || rel.startsWith('..') ? path.join('.tmp-verbose-spec', String(process.pid)) : rel, verbose: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) } });
    try {
      await expect(job([0, 1])).rejects.toThrow('f');
      expect(lines).toContain(`progress 1/2 saved to ${path.resolve(job.checkpointPath!)}`);
      expect(lines.find((l) => l.startsWith('progress'))).toMatch(/ saved to \//);
    } finally {
      await job.clearCheckpoint();
      fs.rmSync(path.join(process.cwd(), '.tmp-verbose-spec'), { recursive: true, force: true });
    }
  });

  it('escapes control characters in job names and error messages: one terminal-safe line each, on stderr and to a logger', async () => {
    const name = 'evil\x1b]0;title\x07\x1b[2J\rname\n\u202eX';
    const message = 'bad\x1b]8;;https://x.example/\x1b\\link\x07\nsecond line\u009b2J';
    const lines: string[] = [];
    const job = safeState(async (xs: number[]) => {
      for (const x of xs) if (x === 1) throw new Error(message);
    }, { name, backend: new MemoryBackend(), verbose: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) } });
    await expect(job([0, 1])).rejects.toThrow(message); // the error itself is unchanged
    expect(lines.slice(0, 2)).toEqual([
      "starting fresh job 'evil\\x1b]0;title\\x07\\x1b[2J\\rname\\n\\u202eX' (checkpoint MemoryBackend)",
      "'evil\\x1b]0;title\\x07\\x1b[2J\\rname\\n\\u202eX' failed at item 1: Error: bad\\x1b]8;;https://x.example/\\x1b\\link\\x07\\nsecond line\\x9b2J",
    ]);

    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    });
    try {
      const loud = safeState(async (xs: number[]) => {
        for (const x of xs) if (x === 1) throw new Error(message);
      }, { name, backend: new MemoryBackend(), verbose: true });
      await expect(loud([0, 1])).rejects.toThrow(message);
    } finally {
      spy.mockRestore();
    }
    expect(writes.length).toBeGreaterThanOrEqual(2);
    for (const w of writes) {
      expect(w).toMatch(/^\[safe-state\] [^\n]*\n$/);
      expect(w).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    }
  });
});
