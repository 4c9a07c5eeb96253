import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNTIMES, ROOT, lastJson, linkPackages, runAsync, scratchApp, scratchKit, toolBin, type Ran } from './scratch';

/**
 * The toolchain page (docs/toolchains.md), checked line by line: for each tool users build or run
 * TypeScript with, a scratch project installing the packed package holds a tiny decorated job
 * (spec/outside/apps/toolchain: a bare `@SafeState` over items 0..9) and exactly the configuration
 * the page gives for that tool, nothing more. The job fails at item K, is rerun the same way, and
 * must resume at K: items 0..K-1 once, K..9 once, one job name (the derived one) both times.
 *
 * Every configuration text below must appear verbatim on the page, so the page cannot drift from
 * what is tested. Where the page says a setting is needed, a run without it shows the failure users
 * meet (`SyntaxError: Invalid or unexpected token` from an untransformed decorator).
 *
 * Toolchains run a few at a time (each in its own project, own state directory) to keep the spec
 * short; rollup, ts-loader and vitest 4 come from scratch kits (spec/outside/scratch.ts), not
 * devDependencies.
 */
const APP_SRC = path.join(__dirname, 'apps', 'toolchain');
const DOC = path.join(ROOT, 'docs', 'toolchains.md');
const TOTAL = 10;
const K = 4;
const hash = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8);
const JOB_NAME = `Nightly.run-${hash('job')}`;

/** The base project: the job's sources and a tsconfig with the one line tsc-based tools need. */
function baseFiles(): Record<string, string> {
  const out: Record<string, string> = { 'tsconfig.json': fs.readFileSync(path.join(APP_SRC, 'tsconfig.json'), 'utf8') };
  for (const f of fs.readdirSync(path.join(APP_SRC, 'src'))) out[`src/${f}`] = fs.readFileSync(path.join(APP_SRC, 'src', f), 'utf8');
  return out;
}
const runnerTest = (which: 'jest' | 'vitest') => fs.readFileSync(path.join(APP_SRC, 'runners', `${which}.test.ts`), 'utf8');

/** The documented configuration texts (each must be on the page verbatim). */
export const CONFIG = {
  tsconfigTarget: '"target": "ES2022"',
  esbuildTarget: '--target=node20',
  webpack: `const path = require('node:path');

module.exports = {
  target: 'node',
  entry: './src/cli.ts',
  devtool: 'source-map',
  optimization: { minimize: false },
  resolve: { extensions: ['.ts', '.js'] },
  module: { rules: [{ test: /\\.ts$/, loader: 'ts-loader' }] },
  output: { path: path.resolve(__dirname, 'dist'), filename: 'app.js' },
};
`,
  rollup: `import typescript from '@rollup/plugin-typescript';

export default {
  input: 'src/cli.ts',
  output: { dir: 'dist', format: 'cjs', sourcemap: true },
  plugins: [typescript()],
};
`,
  rollupModule: '"module": "ESNext"',
  jest: `module.exports = { transform: { '^.+\\\\.ts$': 'ts-jest' } };
`,
  vitest4: `import babel from '@rolldown/plugin-babel';

export default {
  plugins: [babel({ plugins: [['@babel/plugin-proposal-decorators', { version: '2023-11' }]] })],
};
`,
  denoRun: 'deno run -A --sloppy-imports src/cli.ts',
} as const;

interface Toolchain {
  name: string;
  /** files written over the base project (the documented configuration) */
  files?: Record<string, string>;
  /** packages linked in from a scratch kit */
  kit?: { kit: 'bundlers' | 'vitest4'; packages: string[] };
  build?: string[][];
  run: string[];
  /** test runners report through $RESULT only */
  resultFile?: boolean;
}

const ESBUILD = [...toolBin('esbuild'), 'src/cli.ts', '--bundle', '--platform=node', '--sourcemap', '--outfile=dist/app.js', '--log-level=error'];
const rollupTsconfig = () => baseFiles()['tsconfig.json'].replace('"module": "commonjs"', CONFIG.rollupModule).replace('"moduleResolution": "node10"', '"moduleResolution": "bundler"');

const TOOLCHAINS: Toolchain[] = [
  { name: 'tsc', build: [[...toolBin('tsc'), '-p', '.']], run: [RUNTIMES.node20, 'dist/cli.js'] },
  { name: 'tsx', run: [...toolBin('tsx'), 'src/cli.ts'] },
  { name: 'ts-node', run: [...toolBin('ts-node'), 'src/cli.ts'] },
  { name: 'esbuild', build: [[...ESBUILD, CONFIG.esbuildTarget]], run: [RUNTIMES.node20, 'dist/app.js'] },
  {
    name: 'webpack (ts-loader)',
    files: { 'webpack.config.js': CONFIG.webpack },
    kit: { kit: 'bundlers', packages: ['ts-loader'] },
    build: [[...toolBin('webpack'), '--mode=production']],
    run: [RUNTIMES.node20, 'dist/app.js'],
  },
  {
    name: 'rollup (@rollup/plugin-typescript)',
    files: { 'rollup.config.mjs': CONFIG.rollup, 'tsconfig.json': rollupTsconfig() },
    kit: { kit: 'bundlers', packages: ['rollup', '@rollup', 'tslib'] },
    build: [['ROLLUP', '-c', '--silent']],
    run: [RUNTIMES.node20, 'dist/cli.js'],
  },
  { name: 'jest + ts-jest', files: { 'jest.config.js': CONFIG.jest, 'test/job.test.ts': runnerTest('jest') }, run: [...toolBin('jest'), '--ci'], resultFile: true },
  { name: 'vitest 3', files: { 'test/job.test.ts': runnerTest('vitest') }, run: [...toolBin('vitest'), 'run'], resultFile: true },
  {
    name: 'vitest 4',
    files: { 'vitest.config.mjs': CONFIG.vitest4, 'test/job.test.ts': runnerTest('vitest') },
    kit: { kit: 'vitest4', packages: ['vitest', '@rolldown', '@babel'] },
    run: ['VITEST4', 'run'],
    resultFile: true,
  },
  { name: 'bun', run: [RUNTIMES.bun, 'src/cli.ts'] },
  { name: 'deno', run: [RUNTIMES.deno, ...CONFIG.denoRun.split(' ').slice(1)] },
];

/** Resolves the kit-provided commands (their paths are known only once the kit is installed). */
function command(cmd: string[], app: string): string[] {
  if (cmd[0] === 'ROLLUP') return [process.execPath, path.join(app, 'node_modules', 'rollup', 'dist', 'bin', 'rollup'), ...cmd.slice(1)];
  if (cmd[0] === 'VITEST4') return [process.execPath, path.join(app, 'node_modules', 'vitest', 'vitest.mjs'), ...cmd.slice(1)];
  return cmd;
}

function failure(what: string, r: Ran): Error {
  return new Error(`${what} exited ${r.code ?? r.signal}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`);
}

interface Outcome {
  runs: { name: string; error: string | null; seen: number[] }[];
}

/** Builds the project, runs the job failing at K, reruns it to the end; what each run did. */
async function exercise(tc: Toolchain, app: string): Promise<Outcome> {
  for (const b of tc.build ?? []) {
    const r = await runAsync(command(b, app), app);
    if (r.code !== 0) throw failure(`${tc.name}: ${b.slice(0, 3).map((c) => path.basename(c)).join(' ')}`, r);
  }
  const seenLog = path.join(app, 'seen.log');
  const runs: Outcome['runs'] = [];
  for (const [i, failAt] of [K, null].entries()) {
    const resultFile = path.join(app, `result-${i}.json`);
    const before = fs.existsSync(seenLog) ? fs.readFileSync(seenLog, 'utf8').split('\n').filter(Boolean).length : 0;
    const r = await runAsync(command(tc.run, app), app, { TOTAL: String(TOTAL), SEEN_LOG: seenLog, RESULT: resultFile, ...(failAt === null ? {} : { FAIL_AT: String(failAt) }) });
    if (r.code !== 0 || !fs.existsSync(resultFile)) throw failure(`${tc.name}: run ${i + 1}`, r);
    const got = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { name: string; error: string | null };
    if (!tc.resultFile) expect(lastJson(r.stdout)).toEqual(got);
    const seen = fs.readFileSync(seenLog, 'utf8').split('\n').filter(Boolean).slice(before).map(Number);
    runs.push({ ...got, seen });
  }
  return { runs };
}

/** Runs `jobs` with at most `n` at a time; each settles into its own promise. */
function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T>[] {
  const gates: (() => void)[] = [];
  let running = 0;
  const take = async () => {
    if (running >= n) await new Promise<void>((r) => gates.push(r));
    running++;
  };
  const give = () => {
    running--;
    gates.shift()?.();
  };
  return jobs.map(async (job) => {
    await take();
    try {
      return await job();
    } finally {
      give();
    }
  });
}

describe('toolchains (docs/toolchains.md): a decorated job fails at item K and resumes, under each with exactly the documented configuration', () => {
  const outcomes = new Map<string, Promise<Outcome>>();

  beforeAll(() => {
    const kits = { bundlers: scratchKit('bundlers'), vitest4: scratchKit('vitest4') };
    const jobs = TOOLCHAINS.map((tc) => () => {
      const app = scratchApp(tc.name.replace(/\W+/g, '-'), { ...baseFiles(), ...tc.files });
      if (tc.kit) linkPackages(app, kits[tc.kit.kit], tc.kit.packages);
      return exercise(tc, app);
    });
    pool(jobs, 3).forEach((p, i) => {
      p.catch(() => undefined); // awaited by its test
      outcomes.set(TOOLCHAINS[i].name, p);
    });
  }, 300_000);

  it('the page gives every tested configuration verbatim', () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    for (const [key, text] of Object.entries(CONFIG)) expect({ key, onPage: doc.includes(text.trim()) }).toEqual({ key, onPage: true });
    for (const tc of TOOLCHAINS) expect(doc).toMatch(new RegExp(`^\\| \\W*${tc.name.split(' ')[0]}`, 'im')); // a row of the table
  });

  for (const tc of TOOLCHAINS) {
    it(`${tc.name}: fails at ${K}, resumes at ${K}, one derived job name`, async () => {
      const { runs } = await outcomes.get(tc.name)!;
      expect(runs).toEqual([
        { name: JOB_NAME, error: `stopped at ${K}`, seen: Array.from({ length: K }, (_, i) => i) },
        { name: JOB_NAME, error: null, seen: Array.from({ length: TOTAL - K }, (_, i) => K + i) },
      ]);
    }, 300_000);
  }

  it('without the documented line, esbuild leaves the decorator in place and Node 20 cannot parse it', async () => {
    const app = scratchApp('esbuild-no-target', baseFiles());
    const b = await runAsync(ESBUILD, app);
    if (b.code !== 0) throw failure('esbuild', b);
    expect(fs.readFileSync(path.join(app, 'dist', 'app.js'), 'utf8')).toMatch(/^\s*@SafeState$/m);
    const r = await runAsync([RUNTIMES.node20, 'dist/app.js'], app, { TOTAL: '3', SEEN_LOG: path.join(app, 'seen.log') });
    expect({ code: r.code, error: /SyntaxError: Invalid or unexpected token/.test(r.stderr) }).toEqual({ code: 1, error: true });
  });

  it('without the documented plugin, vitest 4 (vite 8, Oxc) leaves the decorator in place: SyntaxError', async () => {
    const app = scratchApp('vitest4-bare', { ...baseFiles(), 'test/job.test.ts': runnerTest('vitest') });
    linkPackages(app, scratchKit('vitest4'), ['vitest']);
    const r = await runAsync(command(['VITEST4', 'run'], app), app, { TOTAL: '3', SEEN_LOG: path.join(app, 'seen.log') });
    expect({ code: r.code, error: /SyntaxError: Invalid or unexpected token/.test(r.stdout + r.stderr) }).toEqual({ code: 1, error: true });
    expect(fs.existsSync(path.join(app, 'seen.log'))).toBe(false);
  }, 120_000);
});
