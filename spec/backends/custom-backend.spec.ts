import { StateBackend, MemoryBackend, safeState, JobLockedError, BackendError } from '../../lib/index';
import { range } from '../helpers';

/** A third-party backend written against the four required methods only (async, no hooks). */
class MapBackend extends StateBackend {
  readonly m = new Map<string, string>();
  saves = 0;
  failAfter = Infinity;
  async load(job: string) {
    return this.m.get(job) ?? null;
  }
  async save(job: string, data: string) {
    if (++this.saves > this.failAfter) throw new Error('disk on fire');
    await new Promise((r) => setImmediate(r));
    this.m.set(job, data);
  }
  async delete(job: string) {
    this.m.delete(job);
  }
  async exists(job: string) {
    return this.m.has(job);
  }
}

describe('a backend with only the four required methods', () => {
  it('gets a whole compact checkpoint per save and resumes from it', async () => {
    const backend = new MapBackend();
    let failAt = 6;
    const seen: number[] = [];
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) {
        if (x === failAt) throw new Error('f');
        seen.push(x);
      }
    }, { name: 'four-methods', backend });
    await expect(job(range(10))).rejects.toThrow('f');
    const text = backend.m.get('four-methods')!;
    expect(text.split('\n').filter(Boolean)).toHaveLength(1); // one snapshot line, O(1) in size
    failAt = -1;
    await job(range(10));
    expect(seen).toEqual(range(10));
    expect(backend.m.size).toBe(0);
  });

  it('with for await, each completion is saved before the next item starts', async () => {
    const backend = new MapBackend();
    const doneAtStart: number[] = [];
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) {
        const text = backend.m.get('strict-async')!;
        doneAtStart.push(JSON.parse(text.split('\n')[0]).w);
        void x;
      }
    }, { name: 'strict-async', backend });
    await job(range(5));
    expect(doneAtStart).toEqual([0, 1, 2, 3, 4]);
  });

  it('a failing save surfaces as BackendError with the cause, and the original error of the body is not lost', async () => {
    const backend = new MapBackend();
    backend.failAfter = 3;
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) void x;
    }, { name: 'failing-save', backend });
    const err = await job(range(10)).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.cause.message).toBe('disk on fire');
  });

  it('the default lock excludes a second run in the same process', async () => {
    const backend = new MapBackend();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const job = safeState(async (xs: number[]) => {
      for await (const x of xs) if (x === 0) await gate;
    }, { name: 'default-lock', backend });
    const first = job(range(2));
    await new Promise((r) => setTimeout(r, 20));
    await expect(job(range(2))).rejects.toBeInstanceOf(JobLockedError);
    release();
    await first;
  });
});

describe('MemoryBackend', () => {
  it('implements the text contract: load returns what was saved plus what was appended', async () => {
    const b = new MemoryBackend();
    expect(await b.load('x')).toBeNull();
    expect(await b.exists('x')).toBe(false);
    await b.save('x', 'a\n');
    await b.append('x', 'b\n');
    b.appendSync('x', 'c\n');
    expect(await b.load('x')).toBe('a\nb\nc\n');
    await b.save('x', 'z\n');
    expect(await b.load('x')).toBe('z\n');
    expect(await b.list()).toEqual(['x']);
    await b.delete('x');
    await b.delete('x');
    expect(await b.exists('x')).toBe(false);
  });
});
