import { SafeState, safeState, MemoryBackend, StateBackend } from '../../lib/index';
import { range } from '../helpers';

/** A job that throws at `failAt` (once) and records what its body saw. */
function makeJob(backend: StateBackend, name: string, failAt: number) {
  const seen: unknown[] = [];
  let armed = true;
  const job = safeState(
    async (items: Iterable<unknown> | AsyncIterable<unknown>, mode: 'for-of' | 'for-await' | 'forEach' | 'entries' = 'for-of') => {
      const visit = (x: unknown, i: number) => {
        if (armed && i === failAt) {
          armed = false;
          throw new Error(`fail ${i}`);
        }
        seen.push(x);
      };
      let i = 0;
      if (mode === 'for-of') for (const x of items as Iterable<unknown>) visit(x, i++);
      else if (mode === 'for-await') for await (const x of items) visit(x, i++);
      else if (mode === 'forEach') (items as unknown[]).forEach((x) => visit(x, i++));
      else for (const [, x] of (items as unknown[]).entries()) visit(x, i++);
      return seen.length;
    },
    { name, backend },
  );
  return { job, seen };
}

describe('tracked inputs', () => {
  const letters = ['a', 'b', 'c', 'd', 'e', 'f'];

  it.each(['for-of', 'for-await', 'forEach', 'entries'] as const)('array via %s resumes at the failed item', async (mode) => {
    const backend = new MemoryBackend();
    const { job, seen } = makeJob(backend, `arr-${mode}`, 3);
    await expect(job(letters, mode)).rejects.toThrow('fail 3');
    expect(seen).toEqual(['a', 'b', 'c']);
    seen.length = 0;
    await job(letters, mode);
    expect(seen).toEqual(['d', 'e', 'f']);
  });

  it('hands the body a real array of the same length with index access', async () => {
    const job = safeState(
      async (xs: string[]) => {
        expect(Array.isArray(xs)).toBe(true);
        expect(xs.length).toBe(3);
        expect(xs[1]).toBe('b');
        expect(xs.map((x) => x.toUpperCase())).toEqual(['A', 'B', 'C']);
        expect(xs.includes('c')).toBe(true);
        const out: string[] = [];
        for (const x of xs) out.push(x);
        return out;
      },
      { name: 'arr-shape', backend: new MemoryBackend() },
    );
    expect(await job(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
  });

  function* gen() {
    yield* letters;
  }
  async function* agen() {
    for (const l of letters) yield l;
  }

  it.each([
    ['Set', () => new Set(letters), 'for-of'],
    ['Map', () => new Map(letters.map((l, i) => [l, i])), 'for-of'],
    ['generator', () => gen(), 'for-of'],
    ['generator (for await)', () => gen(), 'for-await'],
    ['async generator', () => agen(), 'for-await'],
  ] as const)('%s input resumes after the done items', async (_label, make, mode) => {
    const backend = new MemoryBackend();
    const { job, seen } = makeJob(backend, `it-${_label}`, 2);
    await expect(job(make(), mode)).rejects.toThrow('fail 2');
    expect(seen).toHaveLength(2);
    const before = [...seen];
    seen.length = 0;
    await job(make(), mode);
    const all: unknown[] = [];
    for await (const x of make() as AsyncIterable<unknown>) all.push(x);
    expect(before.concat(seen)).toEqual(all);
  });

  it('records totalItems for arrays, Sets, Maps and objects with length/size; null otherwise', async () => {
    const backend = new MemoryBackend();
    const totals: Array<number | null> = [];
    const job = safeState(
      async (xs: Iterable<unknown> | AsyncIterable<unknown>) => {
        for await (const x of xs) void x;
        throw new Error('stop');
      },
      { name: 'totals', backend },
    );
    const sized = { length: 2, *[Symbol.iterator]() { yield 1; yield 2; } };
    for (const input of [[1, 2, 3], new Set([1]), new Map([[1, 1]]), sized, gen(), agen()]) {
      await job.clearCheckpoint();
      await expect(job(input)).rejects.toThrow('stop');
      totals.push((await job.peekCheckpoint())!.totalItems);
    }
    expect(totals).toEqual([3, 1, 1, 2, null, null]);
  });

  it('fails with a TypeError naming the job and the argument index for a non-iterable argument', async () => {
    const job = safeState(async (_a: unknown, _b: unknown) => 1, { name: 'not-iterable', backend: new MemoryBackend(), iterableArg: 1 });
    await expect(job([1], 42)).rejects.toThrow(TypeError);
    await expect(job([1], 42)).rejects.toThrow(/'not-iterable': argument 1 is not iterable \(got number\)/);
    await expect(job([1], 'abc')).rejects.toThrow(/argument 1 is not iterable/);
  });

  it('fails with InvalidOptionsError when iterableArg is out of range', async () => {
    const job = safeState(async (..._a: unknown[]) => 1, { name: 'arg-range', backend: new MemoryBackend(), iterableArg: 2 });
    await expect(job([1])).rejects.toMatchObject({ code: 'INVALID_OPTIONS', option: 'iterableArg' });
  });

  it('completes the job on a normal return after break, and deletes the checkpoint', async () => {
    const backend = new MemoryBackend();
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) if (x === 2) break;
        return 'early';
      },
      { name: 'break', backend },
    );
    expect(await job(range(10))).toBe('early');
    expect(await backend.exists('break')).toBe(false);
  });

  it('an item in flight when its loop was left (break, destructuring) is not marked done by a later loop', async () => {
    const backend = new MemoryBackend();
    const processed: number[] = [];
    let fail = true;
    const job = safeState(async (xs: number[]) => {
      const [first] = xs; // takes item 0 and closes the iterator
      void first;
      for (const x of xs) {
        if (x === 2) break;
        processed.push(x);
      }
      for (const x of xs) {
        if (x === 4 && fail) throw new Error('f');
        processed.push(x);
      }
    }, { name: 'closed-iterators', backend });
    await expect(job(range(6))).rejects.toThrow('f');
    // item 0 was processed by the first loop, item 2 (in flight at the break) by the second
    expect(processed).toEqual([0, 1, 2, 3]);
    const cp = await job.peekCheckpoint();
    expect([...cp!.completedIndices]).toEqual([0, 1, 2, 3]);
    expect(cp!.lastFailure!.index).toBe(4);
  });

  it('jumps straight to the first undone index of an array (no scan of done items)', async () => {
    const backend = new MemoryBackend();
    const n = 100_000;
    let armed = true;
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) if (x === n - 2 && armed) throw new Error('late');
      },
      { name: 'jump', backend, saveEvery: 1000 },
    );
    await expect(job(range(n))).rejects.toThrow('late');
    armed = false;
    // a proxy counts index reads of the source: a resume must not read the done items
    let reads = 0;
    const src = range(n);
    const counted = new Proxy(src, {
      get(t, p, r) {
        if (typeof p === 'string' && /^\d+$/.test(p)) reads++;
        return Reflect.get(t, p, r);
      },
    });
    const fingerprintReads = 16;
    const copyReads = n; // the tracked copy is made once (slice)
    await job(counted);
    expect(reads).toBeLessThanOrEqual(copyReads + fingerprintReads);
    const cp = await job.peekCheckpoint();
    expect(cp).toBeNull();
  });

  it('warns once when the body never iterates the tracked input', async () => {
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (m: string) => warnings.push(m) };
    const job = safeState(async (_xs: number[]) => 1, { name: 'never-iterates', backend: new MemoryBackend(), verbose: logger });
    await job([1, 2]);
    await job([1, 2]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/never iterated its tracked argument 0/);
  });

  it('does not warn about an empty input, or a resume whose items were all done', async () => {
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (m: string) => warnings.push(m) };
    const backend = new MemoryBackend();
    const empty = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
    }, { name: 'empty-input', backend, verbose: logger });
    await empty([]);
    let fail = true;
    const allDone = safeState(async (xs: number[]) => {
      for (const x of xs) void x;
      if (fail) throw new Error('after the loop');
    }, { name: 'all-done', backend, verbose: logger });
    await expect(allDone([1, 2])).rejects.toThrow('after the loop');
    fail = false;
    await allDone([1, 2]);
    expect(warnings).toEqual([]);
  });
});

describe('SafeState on classes with a generator input', () => {
  it('skips done items of a generator without running the body for them', async () => {
    const backend = new MemoryBackend();
    const produced: number[] = [];
    function* source() {
      for (let i = 0; i < 8; i++) {
        produced.push(i);
        yield i;
      }
    }
    class Job {
      ran: number[] = [];
      @SafeState({ name: 'gen-skip', backend })
      async run(xs: Iterable<number>, failAt: number) {
        for (const x of xs) {
          if (x === failAt) throw new Error('f');
          this.ran.push(x);
        }
      }
    }
    const a = new Job();
    await expect(a.run(source(), 5)).rejects.toThrow('f');
    produced.length = 0;
    const b = new Job();
    await b.run(source(), -1);
    expect(b.ran).toEqual([5, 6, 7]);
    expect(produced).toEqual(range(8)); // a source without random access is read through
  });
});
