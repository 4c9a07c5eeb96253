import { Idempotent, idempotent, skipIfExists, IdempotencyCache, MemoryBackend } from '../../lib/index';

// Compile-time checks (`npx tsc -p tsconfig.check.json` type-checks spec/): the decorated method
// decides the types, options are checked against it, and keys or checks may take fewer parameters.
const cache = new IdempotencyCache({ name: 'typing', backend: new MemoryBackend() });

class Typed {
  @Idempotent({ key: (who: string) => who, cache })
  async greet(who: string, punctuation: string): Promise<string> {
    return who + punctuation;
  }

  @Idempotent({ key: (who) => who.toUpperCase(), cache }) // `who` typed by the method
  async greet2(who: string, punctuation: string): Promise<string> {
    return who + punctuation;
  }

  @Idempotent((url: string, out: string) => skipIfExists(out)) // a boolean check on a void method
  async download(url: string, out: string): Promise<void> {
    void url;
    void out;
  }

  @Idempotent((url, out) => skipIfExists(out))
  async download2(url: string, out: string): Promise<void> {
    void url;
    void out;
  }

  @Idempotent({ check: async (n) => (n > 1 ? n : null), key: (n) => n, cache })
  async square(n: number): Promise<number> {
    return n * n;
  }

  @Idempotent
  async bare(a: number): Promise<number> {
    return a;
  }

  @Idempotent()
  async empty(a: number): Promise<number> {
    return a;
  }

  // @ts-expect-error: the key's parameter does not match the method's
  @Idempotent({ key: (n: number) => String(n), cache })
  async wrongKey(s: string): Promise<string> {
    return s;
  }

  // @ts-expect-error: a check answering a string on a method resolving to a number
  @Idempotent({ check: () => 'no' })
  async wrongCheck(): Promise<number> {
    return 1;
  }
}

const wrapped = idempotent(async (a: string, b: number) => a + b, { key: (a) => a, name: 'typed-fn', cache });
const sameType: (a: string, b: number) => Promise<string> = wrapped;

describe('typing', () => {
  it('compiles (see the @ts-expect-error lines)', async () => {
    expect(await new Typed().greet2('a', '!')).toBe('a!');
    expect(await sameType('x', 1)).toBe('x1');
  });
});
