import 'reflect-metadata';
import {
  Idempotent, idempotent, IdempotencyCache, MemoryBackend, InvalidOptionsError, UnserializableStateError,
  IDEMPOTENT_METADATA_KEY, type IdempotentMetadata, type Falsy,
} from '../../lib/index';

const memCache = (name = 'c') => new IdempotencyCache({ name, backend: new MemoryBackend() });

describe('@Idempotent with a check', () => {
  it('@Idempotent(check): a truthy answer skips the method and is its result; falsy answers run it', async () => {
    const answers: Array<string | Falsy> = ['cached', false, 0, '', null, undefined, 0n];
    let calls = 0;
    class Job {
      @Idempotent((n: number) => answers[n])
      async work(n: number): Promise<string> {
        calls++;
        return `ran ${n}`;
      }
    }
    const j = new Job();
    expect(await j.work(0)).toBe('cached');
    expect(calls).toBe(0);
    for (let n = 1; n < answers.length; n++) expect(await j.work(n)).toBe(`ran ${n}`);
    expect(calls).toBe(answers.length - 1);
  });

  it('@Idempotent({ check }) accepts an async check, called with this and the arguments; nothing is recorded', async () => {
    const seen: unknown[] = [];
    let calls = 0;
    class Store {
      done = new Set<string>(['a']);
      @Idempotent({
        async check(this: Store, id: string, extra: number) {
          seen.push([this instanceof Store, id, extra]);
          await new Promise((r) => setTimeout(r, 1));
          return this.done.has(id) ? `have ${id}` : null;
        },
      })
      async put(id: string, extra: number): Promise<string> {
        calls++;
        return `put ${id} ${extra}`;
      }
    }
    const s = new Store();
    expect(await s.put('a', 1)).toBe('have a');
    expect(await s.put('b', 2)).toBe('put b 2');
    expect(await s.put('b', 2)).toBe('put b 2'); // check only: not recorded, runs again
    expect(calls).toBe(2);
    expect(seen).toEqual([[true, 'a', 1], [true, 'b', 2], [true, 'b', 2]]);
  });

  it('a check that throws fails the call without running the method', async () => {
    let calls = 0;
    const boom = new Error('check failed');
    const fn = idempotent(async () => ++calls, () => {
      throw boom;
    });
    await expect(fn()).rejects.toBe(boom);
    expect(calls).toBe(0);
  });

  it('with check and key, the check runs first and the key records what the method returns', async () => {
    let calls = 0;
    const cache = memCache();
    const fn = idempotent(async (id: string) => `r${++calls}:${id}`, {
      check: (id) => (id === 'skip' ? 'checked' : undefined),
      key: (id) => id,
      name: 'check-and-key',
      cache,
    });
    expect(await fn('skip')).toBe('checked');
    expect(await fn('x')).toBe('r1:x');
    expect(await fn('x')).toBe('r1:x');
    expect(calls).toBe(1);
  });

  it('idempotent(fn, check) and idempotent(fn, { check }) are the plain-function forms', async () => {
    const a = idempotent(async (n: number) => n * 2, (n) => (n > 10 ? -1 : false));
    const b = idempotent(async (n: number) => n * 2, { check: async (n) => (n > 10 ? -1 : false) });
    expect([await a(3), await a(11), await b(3), await b(11)]).toEqual([6, -1, 6, -1]);
  });
});

describe('@Idempotent as a decorator', () => {
  it('keeps this, the arguments and the method name', async () => {
    class Greeter {
      constructor(private readonly greeting: string) {}
      @Idempotent({ key: (who: string) => who, cache: memCache() })
      async greet(who: string, punctuation: string): Promise<string> {
        return `${this.greeting} ${who}${punctuation}`;
      }
    }
    const g = new Greeter('hello');
    expect(await g.greet('ann', '!')).toBe('hello ann!');
    expect(g.greet.name).toBe('greet');
  });

  it('bare @Idempotent records calls by their arguments', async () => {
    let calls = 0;
    const cache = memCache();
    class Calc {
      @Idempotent({ cache })
      async add(a: number, b: { n: number; at: Date }): Promise<number> {
        calls++;
        return a + b.n;
      }
      @Idempotent
      async bare(): Promise<string> {
        return 'bare';
      }
    }
    const c = new Calc();
    const at = new Date(0);
    expect(await c.add(1, { n: 2, at })).toBe(3);
    expect(await c.add(1, { n: 2, at: new Date(0) })).toBe(3);
    expect(calls).toBe(1);
    expect(await c.add(1, { n: 3, at })).toBe(4);
    expect(calls).toBe(2);
    expect(typeof c.bare).toBe('function');
  });

  it('arguments that cannot be serialized cannot key a bare call: UnserializableStateError, the method does not run', async () => {
    let calls = 0;
    const fn = idempotent(async function takesFn(cb: () => void) {
      calls++;
      cb();
    }, { cache: memCache() });
    await expect(fn(() => undefined)).rejects.toBeInstanceOf(UnserializableStateError);
    expect(calls).toBe(0);
  });

  it('works on static methods and reads the key with this', async () => {
    let calls = 0;
    class Registry {
      static prefix = 'user';
      @Idempotent({
        key(this: typeof Registry, id: number) {
          return `${this.prefix}:${id}`;
        },
        cache: memCache(),
      })
      static async register(id: number): Promise<number> {
        calls++;
        return id;
      }
    }
    await Registry.register(1);
    await Registry.register(1);
    expect(calls).toBe(1);
  });

  it('throws a TypeError at class definition when applied to something other than a method', () => {
    expect(() => {
      class Bad {
        // @ts-expect-error: not a method
        @Idempotent({ key: () => 'k' })
        field = 1;
      }
      return Bad;
    }).toThrow(/@Idempotent decorates methods only; it was applied to field 'field'/);
    expect(() => {
      class BadGetter {
        // @ts-expect-error: not a method
        @Idempotent
        get value() {
          return 1;
        }
      }
      return BadGetter;
    }).toThrow(/applied to getter 'value'/);
    expect(() => {
      // @ts-expect-error: not a class decorator
      @Idempotent
      class BadClass {}
      return BadClass;
    }).toThrow(TypeError);
  });

  it('throws a TypeError pointing to idempotent(fn) when called with neither decorator form', () => {
    const descriptor = { value: async () => 1, writable: true, configurable: true, enumerable: false };
    expect(() => (Idempotent as any)(42, 'run', descriptor)).toThrow(/idempotent\(fn, options\)/);
    expect(() => (Idempotent({ key: () => 'k' }) as any)(42, 'run', descriptor)).toThrow(/neither a standard decorator's \(value, context\) nor a legacy/);
    expect(() => (Idempotent(() => true) as any)({}, 'run')).toThrow(/applied to field 'run'/);
  });

  it('validates options at decoration time, naming the option', () => {
    const cache = memCache();
    const bad: Array<[unknown, string]> = [
      [{ bogus: 1 }, 'bogus'],
      [{ check: 'yes' }, 'check'],
      [{ key: 'id' }, 'key'],
      [{ key: () => 'k', ttlMs: 0 }, 'ttlMs'],
      [{ key: () => 'k', ttlMs: -5 }, 'ttlMs'],
      [{ key: () => 'k', ttlMs: Infinity }, 'ttlMs'],
      [{ key: () => 'k', cache: {} }, 'cache'],
      [{ key: () => 'k', name: '' }, 'name'],
      [{ key: () => 'k', name: 'a\0b' }, 'name'],
      [{ check: () => false, ttlMs: 10 }, 'ttlMs'], // nothing is recorded with check only
      [{ check: () => false, cache }, 'cache'],
      ['string', 'options'],
      [[], 'options'],
    ];
    for (const [options, option] of bad) {
      let err: unknown;
      try {
        Idempotent(options as any);
      } catch (e) {
        err = e;
      }
      expect({ option, err }).toEqual({ option, err: expect.any(InvalidOptionsError) });
      expect((err as InvalidOptionsError).option).toBe(option);
      expect((err as InvalidOptionsError).code).toBe('INVALID_OPTIONS');
      expect((err as Error).message).toContain(option);
    }
  });

  it('a key function that returns something else than a string or number fails the call, naming the key option', async () => {
    let calls = 0;
    const fn = idempotent(async function badKey(x: unknown) {
      calls++;
      return x;
    }, { key: (x) => x as string, cache: memCache() });
    await expect(fn({})).rejects.toMatchObject({ code: 'INVALID_OPTIONS', option: 'key' });
    expect(await fn(7)).toBe(7); // numbers are accepted
    expect(calls).toBe(1);
  });

  it('an anonymous function needs a name when its calls are recorded', () => {
    expect(() => idempotent(async () => 1, { key: () => 'k' })).toThrow(InvalidOptionsError);
    expect(() => idempotent(async () => 1, { key: () => 'k', name: 'anon' })).not.toThrow();
    expect(() => idempotent(async () => 1, () => false)).not.toThrow(); // check only: nothing recorded
    expect(() => idempotent('nope' as any)).toThrow(TypeError);
  });

  it('describes the method through reflect-metadata', () => {
    const key = (id: string) => id;
    class Mailer {
      @Idempotent({ key })
      async send(id: string): Promise<string> {
        return id;
      }
    }
    new Mailer();
    const meta: IdempotentMetadata | undefined = Reflect.getMetadata(IDEMPOTENT_METADATA_KEY, Mailer.prototype, 'send');
    expect(meta).toEqual({ method: 'send', options: { key } });
    expect(IDEMPOTENT_METADATA_KEY).toBe('safe-state:idempotent');
    class Sub extends Mailer {
      @Idempotent(() => false)
      async other(): Promise<void> {}
    }
    const standard = (Sub as unknown as Record<symbol, Record<string, Record<string, IdempotentMetadata>>>)[Symbol.metadata!][IDEMPOTENT_METADATA_KEY];
    expect(standard.send).toEqual({ method: 'send', options: { key } }); // inherited
    expect(standard.other.method).toBe('other');
    const parent = (Mailer as unknown as Record<symbol, Record<string, Record<string, IdempotentMetadata>>>)[Symbol.metadata!][IDEMPOTENT_METADATA_KEY];
    expect(parent.other).toBeUndefined();
  });
});

describe('scope of recorded keys: class + method + key', () => {
  it('the same key in two methods or two classes is two records; a subclass shares its parent method\'s records', async () => {
    const cache = memCache();
    const calls: string[] = [];
    class A {
      @Idempotent({ key: (k: string) => k, cache })
      async one(k: string): Promise<string> {
        calls.push(`A.one ${k}`);
        return 'A.one';
      }
      @Idempotent({ key: (k: string) => k, cache })
      async two(k: string): Promise<string> {
        calls.push(`A.two ${k}`);
        return 'A.two';
      }
    }
    class B {
      @Idempotent({ key: (k: string) => k, cache })
      async one(k: string): Promise<string> {
        calls.push(`B.one ${k}`);
        return 'B.one';
      }
    }
    class SubA extends A {}
    const a = new A();
    expect([await a.one('k'), await a.two('k'), await new B().one('k'), await new SubA().one('k'), await a.one('k')]).toEqual([
      'A.one', 'A.two', 'B.one', 'A.one', 'A.one',
    ]);
    expect(calls).toEqual(['A.one k', 'A.two k', 'B.one k']);
  });

  it('the name option sets the scope, so two definitions can share records', async () => {
    const cache = memCache();
    let calls = 0;
    const f = idempotent(async (k: string) => `f${++calls}:${k}`, { key: (k) => k, name: 'shared-scope', cache });
    const g = idempotent(async (k: string) => `g${++calls}:${k}`, { key: (k) => k, name: 'shared-scope', cache });
    expect(await f('x')).toBe('f1:x');
    expect(await g('x')).toBe('f1:x');
    expect(calls).toBe(1);
  });
});
