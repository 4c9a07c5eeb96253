/**
 * A user's backend whose `save` returns a promise cannot be waited for by a plain `for..of` step:
 * at the first such step the engine warns once (per backend class), naming the fix (`for await`,
 * or the synchronous `saveSync`/`appendSync` hooks). `for await` and backends with the hooks get no
 * warning. With `syncLoop: 'refuse'` the step throws instead, before any item runs.
 */
import { safeState, StateBackend, MemoryBackend, InvalidOptionsError, configure } from '../../lib/index';

class AsyncMapBackend extends StateBackend {
  private readonly m = new Map<string, string>();
  async load(job: string) {
    return this.m.get(job) ?? null;
  }
  async save(job: string, data: string) {
    this.m.set(job, data);
  }
  async delete(job: string) {
    this.m.delete(job);
  }
  async exists(job: string) {
    return this.m.has(job);
  }
}

class SyncMapBackend extends AsyncMapBackend {
  override saveSync(job: string, data: string) {
    void this.save(job, data);
  }
}

function warningsDuring(fn: () => Promise<void>): Promise<{ message: string; code: unknown }[]> {
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  return fn()
    .then(() => spy.mock.calls.map((c) => ({ message: String(c[0]), code: (c[1] as { code?: unknown } | undefined)?.code })))
    .finally(() => spy.mockRestore());
}

const items = Array.from({ length: 5 }, (_, i) => i);

describe('for..of over a backend whose save returns a promise', () => {
  it('warns once at the first for..of step, naming for await and saveSync', async () => {
    const backend = new AsyncMapBackend();
    const seen: number[] = [];
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) seen.push(x);
      },
      { name: 'sync-loop-warning-user', backend },
    );
    const w = await warningsDuring(async () => {
      await job(items);
      await job(items);
    });
    expect(seen).toEqual([...items, ...items]);
    expect(w.map((x) => x.code)).toEqual(['SAFE_STATE_ASYNC_SAVE_IN_FOR_OF']);
    expect(w[0].message).toContain("job 'sync-loop-warning-user'");
    expect(w[0].message).toContain('AsyncMapBackend.save returns a promise');
    expect(w[0].message).toContain('for await');
    expect(w[0].message).toContain('saveSync');
  });

  it('no warning with for await, with a saveSync hook, or on a built-in backend', async () => {
    class OtherAsyncBackend extends AsyncMapBackend {}
    const w = await warningsDuring(async () => {
      await safeState(
        async (xs: number[]) => {
          for await (const x of xs) void x;
        },
        { name: 'sync-loop-warning-await', backend: new OtherAsyncBackend() },
      )(items);
      for (const backend of [new SyncMapBackend(), new MemoryBackend()]) {
        await safeState(
          async (xs: number[]) => {
            for (const x of xs) void x;
          },
          { name: `sync-loop-warning-${backend.constructor.name}`, backend },
        )(items);
      }
    });
    expect(w).toEqual([]);
  });
});

describe("syncLoop: 'refuse'", () => {
  it("configure({ syncLoop: 'refuse' }) refuses for every job that leaves the option out; the job's own 'warn' wins", async () => {
    const restore = configure({ syncLoop: 'refuse' });
    try {
      const backend = new AsyncMapBackend();
      const seen: number[] = [];
      const loop = async (xs: number[]) => {
        for (const x of xs) seen.push(x);
      };
      const err = await safeState(loop, { name: 'sync-loop-configured', backend })(items).catch((e) => e);
      expect(err).toBeInstanceOf(InvalidOptionsError);
      expect((err as InvalidOptionsError).option).toBe('syncLoop');
      expect(seen).toEqual([]);
      await warningsDuring(() => safeState(loop, { name: 'sync-loop-configured-warn', backend, syncLoop: 'warn' })(items));
      expect(seen).toEqual(items);
    } finally {
      restore();
    }
  });

  it('a plain for..of over an async-save backend fails at its first step with InvalidOptionsError naming for await; no item runs, nothing is warned', async () => {
    const backend = new AsyncMapBackend();
    const seen: number[] = [];
    let steps = 0;
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) seen.push(x);
      },
      { name: 'sync-loop-refuse', backend, syncLoop: 'refuse' },
    );
    let err: unknown;
    const w = await warningsDuring(async () => {
      err = await job(items).catch((e) => e);
      // caught inside the body, the refusal comes again at the next step: the loop never gets an item
      await safeState(
        async (xs: number[]) => {
          for (let i = 0; i < 3; i++) {
            try {
              for (const x of xs) seen.push(x);
            } catch (e) {
              if (e instanceof InvalidOptionsError) steps++;
            }
          }
        },
        { name: 'sync-loop-refuse-again', backend, syncLoop: 'refuse' },
      )(items);
    });
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as InvalidOptionsError).option).toBe('syncLoop');
    expect((err as InvalidOptionsError).code).toBe('INVALID_OPTIONS');
    expect((err as Error).message).toContain("job 'sync-loop-refuse'");
    expect((err as Error).message).toContain('AsyncMapBackend.save returns a promise');
    expect((err as Error).message).toContain('for await (const x of items)');
    expect(seen).toEqual([]);
    expect(steps).toBe(3);
    expect(w.filter((x) => x.code === 'SAFE_STATE_ASYNC_SAVE_IN_FOR_OF')).toEqual([]);
    // the fix named works, from the start
    await safeState(
      async (xs: number[]) => {
        for await (const x of xs) seen.push(x);
      },
      { name: 'sync-loop-refuse', backend, syncLoop: 'refuse' },
    )(items);
    expect(seen).toEqual(items);
  });

  it('changes nothing where for..of can wait for the saves (synchronous hooks, built-in backends)', async () => {
    for (const backend of [new SyncMapBackend(), new MemoryBackend()]) {
      const seen: number[] = [];
      await safeState(
        async (xs: number[]) => {
          for (const x of xs) seen.push(x);
        },
        { name: `sync-loop-refuse-${backend.constructor.name}`, backend, syncLoop: 'refuse' },
      )(items);
      expect(seen).toEqual(items);
    }
  });

  it('any other value is an InvalidOptionsError at definition time', () => {
    expect(() => safeState(async () => undefined, { name: 'x', syncLoop: 'error' as never })).toThrow(/syncLoop: must be 'warn' or 'refuse' \(got error\)/);
  });
});
