import { SafeState, MemoryBackend } from '../../lib/index';
import { range } from '../helpers';

describe('resume after a failure', () => {
  it('skips completed items and re-throws the original error', async () => {
    const backend = new MemoryBackend();
    const boom = new Error('boom');
    class Job {
      seen: number[] = [];
      failAt = 5;
      @SafeState({ name: 'basic', backend })
      async run(items: number[]) {
        for (const i of items) {
          if (i === this.failAt) throw boom;
          this.seen.push(i);
        }
        return 'ok';
      }
    }
    const a = new Job();
    await expect(a.run(range(10))).rejects.toBe(boom);
    expect(a.seen).toEqual([0, 1, 2, 3, 4]);
    const b = new Job();
    b.failAt = -1;
    await expect(b.run(range(10))).resolves.toBe('ok');
    expect(b.seen).toEqual([5, 6, 7, 8, 9]);
    expect(await backend.exists('basic')).toBe(false);
  });
});
