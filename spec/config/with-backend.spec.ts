import { SafeState, safeState, MemoryBackend, withBackend, Idempotent, InvalidOptionsError, type StateBackend } from '../../lib/index';
import { range } from '../helpers';

describe('withBackend(backend, fn)', () => {
  it("wins over the decorator's own backend, also across awaits, and leaves it untouched", async () => {
    const named = new MemoryBackend();
    const scoped = new MemoryBackend();
    class Job {
      failAt = 3;
      @SafeState({ name: 'scoped-job', backend: named })
      async run(items: number[]) {
        for (const i of items) {
          await Promise.resolve();
          if (i === this.failAt) throw new Error('boom');
        }
      }
    }
    await expect(withBackend(scoped, () => new Job().run(range(6)))).rejects.toThrow('boom');
    expect(await scoped.exists('scoped-job')).toBe(true);
    expect(await named.exists('scoped-job')).toBe(false);
    // outside the scope the decorator's backend is used again
    await expect(new Job().run(range(6))).rejects.toThrow('boom');
    expect(await named.exists('scoped-job')).toBe(true);
  });

  it('keeps parallel scopes apart', async () => {
    const a = new MemoryBackend();
    const b = new MemoryBackend();
    const job = safeState(
      async (items: number[], failAt: number) => {
        for await (const i of items) {
          await new Promise((r) => setTimeout(r, 1));
          if (i === failAt) throw new Error(`fail ${failAt}`);
        }
      },
      { name: 'parallel-scopes' },
    );
    const results = await Promise.allSettled([withBackend(a, () => job(range(10), 2)), withBackend(b, () => job(range(10), 7))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await a.load('parallel-scopes'))?.length).toBeGreaterThan(0);
    const done = async (be: StateBackend) => {
      const seen: number[] = [];
      await withBackend(be, () => safeState(async (items: number[]) => { for await (const i of items) seen.push(i); }, { name: 'parallel-scopes' })(range(10)));
      return seen;
    };
    expect(await done(a)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await done(b)).toEqual([7, 8, 9]);
  });

  it('holds the records of @Idempotent calls made outside a job', async () => {
    const scoped = new MemoryBackend();
    let sent = 0;
    class Mailer {
      @Idempotent({ key: (to: string) => to, name: 'with-backend-mailer' })
      async send(to: string) {
        sent++;
        return `sent to ${to}`;
      }
    }
    await withBackend(scoped, async () => {
      expect(await new Mailer().send('a@x')).toBe('sent to a@x');
      expect(await new Mailer().send('a@x')).toBe('sent to a@x');
    });
    expect(sent).toBe(1);
    expect((await scoped.list()).length).toBeGreaterThan(0);
  });

  it('refuses what is not a backend', () => {
    expect(() => withBackend({} as StateBackend, () => 1)).toThrow(InvalidOptionsError);
    expect(() => withBackend(new MemoryBackend(), 1 as unknown as () => number)).toThrow(/second argument/);
  });
});
