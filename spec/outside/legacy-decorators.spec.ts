import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNTIMES, lastJson, run, runOk, scratchApp, toolBin } from './scratch';

/**
 * Legacy decorators from outside: one application source, installed against the packed package and
 * compiled by tsc twice, with `experimentalDecorators` + `emitDecoratorMetadata` (as NestJS and
 * TypeORM projects are) into dist/, and with standard decorators into build/. Both compile (the
 * typings take both call forms), and a job started under one setting resumes under the other: the
 * same default and given job names, the same checkpoint, the same `@Idempotent` records.
 */
const BILLING = `import 'reflect-metadata';
import * as fs from 'node:fs';
import { SafeState, Idempotent } from 'safe-state';

const failAt = Number(process.env.FAIL_AT ?? -1);

export class Billing {
  constructor(private readonly ledger: string) {}

  @SafeState
  async run(ids: number[]): Promise<number> {
    let n = 0;
    for (const id of ids) {
      if (id === failAt) throw new Error(\`stopped at \${id}\`);
      await this.charge(id);
      fs.appendFileSync(process.env.SEEN_LOG!, \`\${id}\\n\`);
      n++;
    }
    return n;
  }

  @SafeState('billing-named')
  async named(ids: number[]): Promise<void> {
    for (const id of ids) void id;
  }

  @SafeState({ name: (b) => \`billing-\${b.ledger}\`, saveEvery: 1 })
  async perLedger(ids: number[]): Promise<void> {
    for (const id of ids) void id;
  }

  @Idempotent({ key: (id) => \`charge-\${id}\` })
  async charge(id: number): Promise<string> {
    fs.appendFileSync(this.ledger, \`\${id}\\n\`);
    return \`receipt-\${id}\`;
  }
}
`;

const MAIN = `import { SafeState } from 'safe-state';
import { Billing } from './billing';

async function main() {
  const b = new Billing(process.env.LEDGER!);
  const names = { run: SafeState.of(b, 'run').jobName, named: SafeState.of(b, 'named').jobName, perLedger: SafeState.of(b, 'perLedger').jobName };
  let error: string | null = null;
  try {
    await b.run(Array.from({ length: Number(process.env.TOTAL) }, (_, i) => i));
  } catch (e) {
    error = (e as Error).message;
  }
  const design = (Reflect as any).getMetadata('design:paramtypes', Billing.prototype, 'run') ?? null;
  console.log(JSON.stringify({ names, error, design: design && design.map((t: { name: string }) => t.name) }));
}
void main();
`;

/** Misuse: a field, a getter and a class decorated with @SafeState. */
const MISUSE = `import { SafeState } from 'safe-state';
export const which = process.env.MISUSE;
if (which === 'field') {
  class A {
    // @ts-expect-error: not a method
    @SafeState('x') field = 1;
  }
  void A;
}
if (which === 'getter') {
  class B {
    // @ts-expect-error: not a method
    @SafeState get g() { return 1; }
  }
  void B;
}
if (which === 'class') {
  // @ts-expect-error: not a method
  @SafeState
  class C {}
  void C;
}
console.log('no error');
`;

const tsconfig = (extra: Record<string, unknown>) =>
  JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        moduleResolution: 'node10',
        rootDir: 'src',
        strict: true,
        sourceMap: true,
        esModuleInterop: true,
        skipLibCheck: true,
        types: ['node'],
        ...extra,
      },
      include: ['src'],
    },
    null,
    2,
  );

const hash = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8);
const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []);

describe('legacy decorators (experimentalDecorators), from a scratch project that installs the packed package', () => {
  let app = '';

  beforeAll(() => {
    app = scratchApp('legacy', {
      'src/billing.ts': BILLING,
      'src/main.ts': MAIN,
      'src/misuse.ts': MISUSE,
      'tsconfig.legacy.json': tsconfig({ outDir: 'dist', experimentalDecorators: true, emitDecoratorMetadata: true }),
      'tsconfig.json': tsconfig({ outDir: 'build' }),
    });
  }, 300_000);

  it('compiles under both settings with tsc, and a job failed under one resumes under the other', () => {
    // the typings take both call forms (and tsc type-checks the options against the method in both)
    runOk([...toolBin('tsc'), '-p', 'tsconfig.legacy.json'], app);
    runOk([...toolBin('tsc'), '-p', 'tsconfig.json'], app);
    expect(fs.readFileSync(path.join(app, 'dist', 'billing.js'), 'utf8')).toMatch(/__decorate\(\[\s*\(0, safe_state_1\.SafeState\)/);
    expect(fs.readFileSync(path.join(app, 'build', 'billing.js'), 'utf8')).toMatch(/__esDecorate/);

    const seenLog = path.join(app, 'seen.log');
    const ledger = path.join(app, 'ledger.log');
    const chain = [
      { build: 'dist', failAt: 4 }, // legacy: items 0-3, fails at 4
      { build: 'build', failAt: 9 }, // standard: resumes at 4, fails at 9
      { build: 'dist', failAt: -1 }, // legacy again: resumes at 9, completes
    ];
    const expectedNames = { run: `Billing.run-${hash('billing')}`, named: 'billing-named', perLedger: `billing-${ledger}` };
    let from = 0;
    for (const step of chain) {
      const before = lines(seenLog).length;
      const r = run([RUNTIMES.node20, path.join(step.build, 'main.js')], app, { TOTAL: '12', SEEN_LOG: seenLog, LEDGER: ledger, FAIL_AT: String(step.failAt) });
      const got = lastJson<{ names: Record<string, string>; error: string | null; design: string[] | null }>(r.stdout + '\n' + r.stderr);
      const to = step.failAt < 0 ? 12 : step.failAt;
      expect({ build: step.build, names: got.names, error: got.error, seen: lines(seenLog).slice(before) }).toEqual({
        build: step.build,
        names: expectedNames,
        error: step.failAt < 0 ? null : `stopped at ${step.failAt}`,
        seen: Array.from({ length: to - from }, (_, i) => from + i),
      });
      // emitDecoratorMetadata's design types are there in the legacy build only
      expect(got.design).toEqual(step.build === 'dist' ? ['Array'] : null);
      from = to;
    }
    expect(lines(ledger)).toEqual(Array.from({ length: 12 }, (_, i) => i)); // each charge once
  }, 300_000);

  it('misuse is a type error under both settings, and at run time the standard form\'s TypeError', () => {
    const misuseConfig = (extra: Record<string, unknown>) => JSON.parse(tsconfig(extra)) as { include: string[] };
    fs.writeFileSync(path.join(app, 'tsconfig.misuse-legacy.json'), JSON.stringify({ ...misuseConfig({ outDir: 'misuse-dist', experimentalDecorators: true }), include: ['src/misuse.ts'] }));
    fs.writeFileSync(path.join(app, 'tsconfig.misuse.json'), JSON.stringify({ ...misuseConfig({ outDir: 'misuse-build' }), include: ['src/misuse.ts'] }));
    // every @ts-expect-error is used: tsc reports each misuse as a type error, under both settings
    runOk([...toolBin('tsc'), '-p', 'tsconfig.misuse-legacy.json'], app);
    runOk([...toolBin('tsc'), '-p', 'tsconfig.misuse.json'], app);
    for (const out of ['misuse-dist', 'misuse-build']) {
      for (const [which, message] of [
        ['field', /TypeError: @SafeState decorates methods only; it was applied to field 'field'/],
        ['getter', /TypeError: @SafeState decorates methods only; it was applied to getter 'g'/],
        ['class', /TypeError: @SafeState decorates methods only; it was applied to class 'C'/],
      ] as const) {
        const r = run([RUNTIMES.node20, path.join(out, 'misuse.js')], app, { MISUSE: which });
        expect({ out, which, code: r.code, stderr: r.stderr.match(message)?.[0] ?? r.stderr.slice(0, 2000) }).toEqual({ out, which, code: 1, stderr: expect.stringMatching(message) });
      }
    }
  }, 300_000);
});
