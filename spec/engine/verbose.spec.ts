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
    const file = path.relative(process.cwd(), job.checkpointPath!);
    expect(lines).toEqual([
      "starting fresh job 'image-scrape'",
      "'image-scrape' failed at item 233: ConnectionError: Read timed out",
      `progress 233/500 saved to ${file.startsWith('..') ? job.checkpointPath : file}`,
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
    expect(writes).toEqual(["[safe-state] starting fresh job 'to-stderr'\n", "[safe-state] job 'to-stderr' complete; checkpoint cleared\n"]);
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
});
