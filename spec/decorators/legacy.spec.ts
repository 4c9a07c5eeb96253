/**
 * The legacy decorator form (`experimentalDecorators: true`), driven by the very helpers tsc emits
 * for it (`__decorate`, `__metadata`, copied below from tsc 5.9's output): `@SafeState` and
 * `@Idempotent` behave as in the standard form (default names, metadata, SafeState.of, records),
 * and misuse throws the standard form's TypeError. The compiled end-to-end check (tsc under both
 * settings, a job resumed across them) is spec/outside/legacy-decorators.spec.ts.
 */
import 'reflect-metadata';
import { SafeState, Idempotent, MemoryBackend, IdempotencyCache, JOB_METADATA_KEY, IDEMPOTENT_METADATA_KEY, type JobMetadata } from '../../lib/index';
import { range } from '../helpers';

/* eslint-disable */
// tsc 5.9, experimentalDecorators + emitDecoratorMetadata, verbatim
var __decorate = function (decorators: any[], target: any, key?: any, desc?: any) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof (Reflect as any).decorate === "function") r = (Reflect as any).decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = function (k: any, v: any) {
    if (typeof Reflect === "object" && typeof (Reflect as any).metadata === "function") return (Reflect as any).metadata(k, v);
};
/* eslint-enable */

/** What the same class gets under the standard form, for comparison. */
class Std {
  @SafeState({ backend: new MemoryBackend() })
  async run(xs: number[]) {
    let s = 0;
    for (const x of xs) s += x;
    return s;
  }
}

describe('@SafeState and @Idempotent under experimentalDecorators (the legacy call form)', () => {
  it('bare, named and with options: the same results, default names and metadata as the standard form', async () => {
    const backend = new MemoryBackend();
    class Std2 {
      async run(xs: number[]) {
        let s = 0;
        for (const x of xs) s += x;
        return s;
      }
      async named(xs: number[]) {
        for (const x of xs) void x;
        return 'n';
      }
      async opts(xs: number[]) {
        for (const x of xs) void x;
        return 'o';
      }
      static async nightly(xs: number[]) {
        for (const x of xs) void x;
        return 's';
      }
    }
    const meta = [__metadata('design:type', Function), __metadata('design:paramtypes', [Array]), __metadata('design:returntype', Promise)];
    __decorate([SafeState, ...meta], Std2.prototype, 'run', null);
    __decorate([SafeState('legacy-named'), ...meta], Std2.prototype, 'named', null);
    __decorate([SafeState({ name: 'legacy-opts', backend }), ...meta], Std2.prototype, 'opts', null);
    __decorate([SafeState({ name: 'legacy-static', backend }), ...meta], Std2, 'nightly', null);

    const j = new Std2();
    expect(await j.named(range(3))).toBe('n');
    expect(await j.opts(range(3))).toBe('o');
    expect(await Std2.nightly(range(3))).toBe('s');
    expect(SafeState.of(j, 'named').jobName).toBe('legacy-named');
    expect(SafeState.of(j, 'opts').jobName).toBe('legacy-opts');
    expect(SafeState.of(Std2, 'nightly').jobName).toBe('legacy-static');
    // the default name: class + method + this module's hash, as the standard form gives it
    const std = SafeState.of(new Std(), 'run').jobName;
    const legacy = SafeState.of(j, 'run').jobName;
    expect(legacy).toMatch(/^Std2\.run-[0-9a-f]{8}$/);
    expect(legacy.slice(-8)).toBe(std.slice(-8));
    // a subclass runs under its base class's name, as in the standard form
    class Sub extends Std2 {}
    expect(SafeState.of(new Sub(), 'run').jobName).toBe(legacy);
    // frameworks find the job through reflect-metadata and the standard metadata object
    const described = Reflect.getMetadata(JOB_METADATA_KEY, Std2.prototype, 'opts') as JobMetadata;
    expect(described.method).toBe('opts');
    expect(described.options.name).toBe('legacy-opts');
    expect(Object.prototype.hasOwnProperty.call(Std2, Symbol.metadata!)).toBe(true);
    // emitDecoratorMetadata's design types stay in place
    expect(Reflect.getMetadata('design:paramtypes', Std2.prototype, 'run')).toEqual([Array]);
  });

  it('resumes a failed legacy job at the failed item', async () => {
    const backend = new MemoryBackend();
    const seen: number[] = [];
    let failAt = 4;
    class Job {
      async run(xs: number[]) {
        for (const x of xs) {
          if (x === failAt) throw new Error(`boom at ${x}`);
          seen.push(x);
        }
      }
    }
    __decorate([SafeState({ name: 'legacy-resume', backend })], Job.prototype, 'run', null);
    await expect(new Job().run(range(10))).rejects.toThrow('boom at 4');
    failAt = -1;
    await new Job().run(range(10));
    expect(seen).toEqual(range(10));
  });

  it('@Idempotent: records per key and replays, metadata for frameworks', async () => {
    const cache = new IdempotencyCache({ backend: new MemoryBackend() });
    let calls = 0;
    class Mailer {
      async send(to: string): Promise<string> {
        calls++;
        return `sent:${to}`;
      }
      async bare(to: string): Promise<string> {
        calls++;
        return `bare:${to}`;
      }
      async checked(to: string): Promise<string> {
        calls++;
        return `checked:${to}`;
      }
    }
    __decorate([Idempotent({ key: (to: string) => to, cache })], Mailer.prototype, 'send', null);
    __decorate([Idempotent], Mailer.prototype, 'bare', null);
    __decorate([Idempotent((to: string) => (to === 'skip' ? 'skipped' : false))], Mailer.prototype, 'checked', null);
    const m = new Mailer();
    expect(await m.send('ann')).toBe('sent:ann');
    expect(await m.send('ann')).toBe('sent:ann');
    expect(calls).toBe(1);
    expect(await m.checked('skip')).toBe('skipped');
    expect(calls).toBe(1);
    expect(typeof m.bare).toBe('function');
    expect(Reflect.getMetadata(IDEMPOTENT_METADATA_KEY, Mailer.prototype, 'send')).toMatchObject({ method: 'send' });
    const standard = (Mailer as any)[Symbol.metadata][IDEMPOTENT_METADATA_KEY];
    expect(Object.keys(standard).sort()).toEqual(['bare', 'checked', 'send']);
  });

  it('misuse throws the standard form\'s TypeError: a field, a getter, a setter, a class, a parameter', () => {
    class Target {
      value = 1;
      get g() {
        return 1;
      }
      set s(_v: number) {}
      async run(_x: number) {}
    }
    const cases: Array<[() => unknown, RegExp]> = [
      [() => __decorate([SafeState({ name: 'x' })], Target.prototype, 'value', void 0), /@SafeState decorates methods only; it was applied to field 'value'/],
      [() => __decorate([SafeState], Target.prototype, 'value', void 0), /@SafeState decorates methods only; it was applied to field 'value'/],
      [() => __decorate([SafeState('x')], Target.prototype, 'g', null), /applied to getter 'g'/],
      [() => __decorate([SafeState('x')], Target.prototype, 's', null), /applied to setter 's'/],
      [() => __decorate([SafeState], Target), /@SafeState decorates methods only; it was applied to class 'Target'/],
      [() => __decorate([SafeState('x')], Target), /applied to class 'Target'/],
      [() => (SafeState('x') as any)(Target.prototype, 'run', 0), /applied to parameter 'run\[0\]'/],
      [() => __decorate([Idempotent({ key: () => 'k' })], Target.prototype, 'value', void 0), /@Idempotent decorates methods only; it was applied to field 'value'/],
      [() => __decorate([Idempotent], Target.prototype, 'g', null), /@Idempotent decorates methods only; it was applied to getter 'g'/],
      [() => __decorate([Idempotent], Target), /@Idempotent decorates methods only; it was applied to class 'Target'/],
    ];
    for (const [misuse, message] of cases) {
      expect(misuse).toThrow(TypeError);
      expect(misuse).toThrow(message);
    }
  });
});
