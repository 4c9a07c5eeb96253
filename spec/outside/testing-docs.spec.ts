import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, RUNTIMES, runOk, scratchApp, toolBin } from './scratch';

/**
 * The examples of docs/testing.md, exactly as the page shows them (each code block after a
 * `<!-- testing-example: <file> -->` line), in a project that installs the packed package: the
 * job's source, and one test file each for jest (ts-jest), vitest 3 and `node:test` (through tsx),
 * type-checked by tsc (CommonJS, `moduleResolution: node10`, as many jest projects are set up) and
 * run by their runner.
 */
function examples(): Record<string, string> {
  const page = fs.readFileSync(path.join(ROOT, 'docs', 'testing.md'), 'utf8');
  const out: Record<string, string> = {};
  for (const m of page.matchAll(/<!-- testing-example: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)) out[m[1]] = m[2];
  return out;
}

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node10', strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node', 'jest'] },
  include: ['src', 'test'],
};

describe('the examples of docs/testing.md, run as written', () => {
  let app = '';

  beforeAll(() => {
    const files = examples();
    expect(Object.keys(files).sort()).toEqual(['jest.config.js', 'src/welcome-emails.ts', 'test/welcome-emails.jest.test.ts', 'test/welcome-emails.node.test.ts', 'test/welcome-emails.vitest.test.ts']);
    app = scratchApp('testing-docs', { ...files, 'tsconfig.json': JSON.stringify(TSCONFIG, null, 2) });
    runOk([...toolBin('tsc'), '-p', '.'], app); // the kit's types resolve (typesVersions) and the examples type-check
  }, 300_000);

  it('jest (ts-jest)', () => {
    const r = runOk([...toolBin('jest'), '--ci', 'test/welcome-emails.jest.test.ts'], app);
    expect(r.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
  }, 120_000);

  it('vitest 3', () => {
    const r = runOk([...toolBin('vitest'), 'run', 'test/welcome-emails.vitest.test.ts'], app);
    expect(r.stdout).toMatch(/Tests\s+1 passed \(1\)/);
  }, 120_000);

  it('node:test through tsx', () => {
    const r = runOk([RUNTIMES.node20, '--import', 'tsx', '--test', 'test/welcome-emails.node.test.ts'], app);
    expect(r.stdout).toMatch(/# pass 1\n# fail 0/);
  }, 120_000);
});
