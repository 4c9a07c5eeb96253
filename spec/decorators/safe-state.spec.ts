import 'reflect-metadata';
import { SafeState, safeState, MemoryBackend, InvalidOptionsError, JOB_METADATA_KEY, type JobMetadata } from '../../lib/index';
import * as jobName from '../../lib/engine/job-name';
import { range, tempDir } from '../helpers';

describe('@SafeState forms', () => {
  it('works bare, with options and with a name; the wrapped method keeps its result', async () => {
    const backend = new MemoryBackend();
    class Job {
      @SafeState
      async bare(xs: number[]) {
        let s = 0;
        for (const x of xs) s += x;
        return s;
      }
      @SafeState('named-job')
      async named(xs: number[]) {
        let s = 0;
        for (const x of xs) s += x;
        return s;
      }
      @SafeState({ name: 'with-options', backend })
      async opts(xs: number[]) {
        let s = 0;
        for (const x of xs) s += x;
        return s;
      }
    }
    const j = new Job();
    const dir = process.cwd();
    try {
      process.chdir(tempDir());
      expect(await j.bare(range(5))).toBe(10);
      expect(await j.named(range(5))).toBe(10);
    } finally {
      process.chdir(dir);
    }
    expect(await j.opts(range(5))).toBe(10);
    expect(SafeState.of(j, 'named').jobName).toBe('named-job');
    expect(SafeState.of(j, 'opts').jobName).toBe('with-options');
    expect(SafeState.of(j, 'bare').jobName).toMatch(/^Job\.bare-[0-9a-f]{8}$/);
  });

  it('derives a stable default name from the defining class, not a subclass', () => {
    class Base {
      @SafeState({ backend: new MemoryBackend() })
      async run(xs: number[]) {
        for (const x of xs) void x;
      }
    }
    class Derived extends Base {}
    const a = SafeState.of(new Base(), 'run').jobName;
    const b = SafeState.of(new Derived(), 'run').jobName;
    expect(a).toMatch(/^Base\.run-[0-9a-f]{8}$/);
    expect(b).toBe(a);
    // same module → same hash; another class in the same module shares the suffix
    class Other {
      @SafeState({ backend: new MemoryBackend() })
      async go(xs: number[]) {
        for (const x of xs) void x;
      }
    }
    expect(SafeState.of(new Other(), 'go').jobName.slice(-8)).toBe(a.slice(-8));
  });

  it('supports a per-instance name function', async () => {
    const backend = new MemoryBackend();
    class Tenant {
      constructor(readonly id: string) {}
      @SafeState({ name: (t: Tenant) => `sync-${t.id}`, backend })
      async run(xs: number[]) {
        for (const x of xs) void x;
      }
    }
    expect(SafeState.of(new Tenant('a'), 'run').jobName).toBe('sync-a');
    expect(SafeState.of(new Tenant('b'), 'run').jobName).toBe('sync-b');
  });

  it('throws a TypeError at class definition when applied to something other than a method', () => {
    expect(() => {
      class Bad {
        // @ts-expect-error: not a method
        @SafeState({ name: 'x' })
        field = 1;
      }
      return Bad;
    }).toThrow(/decorates methods only; it was applied to field 'field'/);
    expect(() => {
      // @ts-expect-error: not a class decorator
      @SafeState
      class BadClass {}
      return BadClass;
    }).toThrow(TypeError);
  });

  it('throws a TypeError pointing to safeState(fn) when called with neither decorator form', () => {
    const descriptor = { value: async () => 1, writable: true, configurable: true, enumerable: false };
    expect(() => (SafeState as any)(42, 'run', descriptor)).toThrow(/safeState\(fn, options\)/);
    expect(() => (SafeState({ name: 'x' }) as any)(42, 'run', descriptor)).toThrow(/neither a standard decorator's \(value, context\) nor a legacy/);
  });

  it('validates options at decoration time, naming the option', () => {
    const bad: Array<[object, string]> = [
      [{ saveEvery: 0 }, 'saveEvery'],
      [{ saveEvery: -1 }, 'saveEvery'],
      [{ saveEvery: 1.5 }, 'saveEvery'],
      [{ saveEvery: NaN }, 'saveEvery'],
      [{ iterableArg: -1 }, 'iterableArg'],
      [{ saveIntervalMs: 0 }, 'saveIntervalMs'],
      [{ durability: 'maybe' }, 'durability'],
      [{ verbose: 'yes' }, 'verbose'],
      [{ bogus: true }, 'bogus'],
      [{ name: '' }, 'name'],
      [{ backend: {} }, 'backend'],
      [{ key: 'id' }, 'key'],
      [{ workers: 'many' }, 'workers'],
    ];
    for (const [options, option] of bad) {
      let err: unknown;
      try {
        SafeState(options as any);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidOptionsError);
      expect((err as InvalidOptionsError).option).toBe(option);
      expect((err as InvalidOptionsError).code).toBe('INVALID_OPTIONS');
      expect((err as Error).message).toContain(option);
    }
  });

  it('records standard decorator metadata and reflect-metadata for frameworks', () => {
    class Job {
      @SafeState({ name: 'meta-job', saveEvery: 5, backend: new MemoryBackend() })
      async run(xs: number[]) {
        for (const x of xs) void x;
      }
    }
    expect((Job as any)[Symbol.metadata]).toBeDefined();
    new Job(); // initializers run at construction
    const meta = Reflect.getMetadata(JOB_METADATA_KEY, Job.prototype, 'run') as JobMetadata;
    expect(meta.method).toBe('run');
    expect(meta.options.saveEvery).toBe(5);
    expect(meta.options.name).toBe('meta-job');
  });

  it('SafeState.of rejects a method that is not decorated', () => {
    class Plain {
      async run() {}
    }
    expect(() => SafeState.of(new Plain(), 'run')).toThrow(TypeError);
  });

  it('looks up the defining module only for a job without a name (a stack walk and a source-map read, at start-up)', () => {
    const lookups = jest.spyOn(jobName, 'definitionModule');
    try {
      class Named {
        @SafeState('named-job')
        async a(xs: number[]) {
          for (const x of xs) void x;
        }
        @SafeState({ name: 'named-job-2', saveEvery: 2 })
        async b(xs: number[]) {
          for (const x of xs) void x;
        }
      }
      expect(SafeState.of(new Named(), 'a').jobName).toBe('named-job');
      expect(lookups).not.toHaveBeenCalled();
      class Unnamed {
        @SafeState({ saveEvery: 2 })
        async run(xs: number[]) {
          for (const x of xs) void x;
        }
      }
      expect(SafeState.of(new Unnamed(), 'run').jobName).toMatch(/^Unnamed\.run-[0-9a-f]{8}$/);
      expect(lookups).toHaveBeenCalledTimes(1);
    } finally {
      lookups.mockRestore();
    }
  });
});

describe('safeState(fn)', () => {
  it('wraps a function and carries the handle members', async () => {
    const backend = new MemoryBackend();
    let fail = true;
    const seen: number[] = [];
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) {
          if (x === 3 && fail) throw new Error('x');
          seen.push(x);
        }
        return seen.length;
      },
      { name: 'fn-job', backend },
    );
    expect(job.jobName).toBe('fn-job');
    expect(job.checkpointPath).toBeNull();
    await expect(job(range(6))).rejects.toThrow('x');
    const cp = await job.peekCheckpoint();
    expect(cp?.completedIndices.size).toBe(3);
    expect(cp?.lastFailure?.index).toBe(3);
    fail = false;
    expect(await job(range(6))).toBe(6);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await job.peekCheckpoint()).toBeNull();
  });

  it('gives a file path as checkpointPath with the default backend', () => {
    const job = safeState(async (xs: number[]) => void xs, { name: 'path-job', stateDir: '/tmp/ss-x' });
    expect(job.checkpointPath).toMatch(/^\/tmp\/ss-x\/path-job-[0-9a-f]{12}\.safestate$/);
  });

  it('asks for a name when an anonymous function has none to derive', () => {
    expect(() => safeState((async () => 1) as any, {}).jobName).toThrow(InvalidOptionsError);
    expect(() => safeState(42 as any)).toThrow(TypeError);
  });
});
