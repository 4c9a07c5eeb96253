/**
 * The command line sees shared jobs: `list` and `show` report their progress from the chunk store,
 * `clear` removes their record, `reset` refuses them.
 */
import { RedisBackend, SqlBackend, safeState, type StateBackend } from '../../lib/index';
import { range, tempDir } from '../helpers';
import { testServers } from '../setup/servers';
import { cli } from '../cli/cli-helpers';

const CASES: { flag: string; url: () => string; open: (url: string) => StateBackend }[] = [
  { flag: '--redis', url: () => testServers().redisUrl, open: (u) => RedisBackend.fromUrl(u) },
  { flag: '--mysql', url: () => testServers().mysqlUrl, open: (u) => SqlBackend.fromUrl(u) },
];

describe.each(CASES)('safe-state $flag with a shared job', ({ flag, url, open }) => {
  it('lists, shows and clears it; reset is refused', async () => {
    const cwd = tempDir('safe-state-cli-shared-');
    const backend = open(url());
    const name = `cli shared ${flag} ${process.pid}`;
    try {
      const job = safeState(async (xs: number[]) => {
        for await (const x of xs) if (x === 12) throw new Error('boom');
      }, { name, backend, workers: 'shared', chunkSize: 5 });
      await job.clearCheckpoint();
      await expect(job(range(20))).rejects.toThrow('boom');

      const list = await cli(cwd, ['list', flag, url(), '--json']);
      expect(list.code).toBe(0);
      const entry = JSON.parse(list.stdout).jobs.find((j: { job: string }) => j.job === name);
      expect(entry).toMatchObject({ readable: true, done: 12, total: 20, lastFailure: { index: 12, message: 'boom' } });

      const show = await cli(cwd, ['show', name, flag, url()]);
      expect({ code: show.code, stderr: show.stderr }).toEqual({ code: 0, stderr: '' });
      expect(show.stdout).toContain('12/20');

      const reset = await cli(cwd, ['reset', name, '--items', '0', flag, url()]);
      expect(reset.code).not.toBe(0);
      expect(reset.stderr).toContain('shared job');

      const clear = await cli(cwd, ['clear', name, flag, url()]);
      expect({ code: clear.code, stderr: clear.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await job.peekCheckpoint()).toBeNull();
    } finally {
      await backend.close();
    }
  });
});
