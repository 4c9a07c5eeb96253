import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNTIMES, lastJson, nodeRuntime, run, runOk, scratchApp, toolBin } from './scratch';

/**
 * Job identity from outside: one application (spec/outside/apps/identity), installed against the
 * packed package, run by every runner users have. A job with a derived name (bare `@SafeState`,
 * and `safeState(function backfill…)`) must get the same name under each, so that a job that failed
 * under one resumes under the next; and two `Mailer.send` classes in src/a/ and src/b/ must keep
 * their `@Idempotent({ key })` records apart under each.
 *
 * The runners form a chain over one state directory: runner i processes items 3i..3i+2 and fails
 * at 3i+3; runner i+1 must resume exactly there. Every item must be processed exactly once over
 * the whole chain, and each mailer's effect exactly once.
 */
const APP_SRC = path.join(__dirname, 'apps', 'identity');

function readTree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, readTree(path.join(dir, e.name), rel));
    else out[rel] = fs.readFileSync(path.join(dir, e.name), 'utf8');
  }
  return out;
}

const hash = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8);
const DRIVERS = ['ioredis', 'pg', 'mysql2', 'knex', 'better-sqlite3'].map((d) => `--external:${d}`);

interface Runner {
  name: string;
  /** the command, run in the app directory */
  cmd: string[];
  /** jest and vitest report through $RESULT only */
  resultFile?: boolean;
}

describe('job identity, from a scratch project that installs the packed package', () => {
  let app = '';
  const runners: Runner[] = [];

  beforeAll(() => {
    app = scratchApp('identity', readTree(APP_SRC));
    runOk([...toolBin('tsc'), '-p', '.'], app);
    const esbuild = [...toolBin('esbuild'), 'src/cli.ts', '--bundle', '--platform=node', '--target=node20', '--log-level=warning'];
    runOk([...esbuild, '--sourcemap', '--keep-names', '--outfile=eb/app.js', ...DRIVERS], app);
    runOk([...esbuild, '--sourcemap', '--keep-names', '--packages=external', '--outfile=ebx/app.js'], app);
    runOk([...esbuild, '--sourcemap', '--outfile=renamed/app.js', ...DRIVERS], app);
    runOk([...esbuild, '--keep-names', '--outfile=nomap/app.js', ...DRIVERS], app);
    runOk([...toolBin('webpack'), '--config', 'webpack.config.js'], app);
    runners.push(
      { name: 'tsc + node 20', cmd: [RUNTIMES.node20, 'dist/cli.js'] },
      { name: 'tsc + node --enable-source-maps', cmd: [RUNTIMES.node20, '--enable-source-maps', 'dist/cli.js'] },
      { name: 'tsc + node -r source-map-support/register', cmd: [RUNTIMES.node20, '-r', 'source-map-support/register', 'dist/cli.js'] },
      { name: 'tsc + node 22', cmd: [nodeRuntime('node22'), 'dist/cli.js'] },
      { name: 'tsc + node 24 --enable-source-maps', cmd: [nodeRuntime('node24'), '--enable-source-maps', 'dist/cli.js'] },
      { name: 'tsx', cmd: [...toolBin('tsx'), 'src/cli.ts'] },
      { name: 'ts-node', cmd: [...toolBin('ts-node'), 'src/cli.ts'] },
      { name: 'esbuild bundle (safe-state inside, --sourcemap --keep-names)', cmd: [RUNTIMES.node20, 'eb/app.js'] },
      { name: 'esbuild bundle (--packages=external --sourcemap --keep-names) + --enable-source-maps', cmd: [RUNTIMES.node20, '--enable-source-maps', 'ebx/app.js'] },
      { name: 'esbuild bundle (--sourcemap, names renamed: Mailer2, backfill2)', cmd: [RUNTIMES.node20, 'renamed/app.js'] },
      { name: 'webpack bundle (source map)', cmd: [RUNTIMES.node20, 'wp/app.js'] },
      { name: 'jest + ts-jest', cmd: [...toolBin('jest'), '--rootDir', '.', '--ci'], resultFile: true },
      { name: 'vitest 3', cmd: [...toolBin('vitest'), 'run'], resultFile: true },
      { name: 'bun (TypeScript source)', cmd: [RUNTIMES.bun, 'src/cli.ts'] },
      { name: 'bun (tsc output)', cmd: [RUNTIMES.bun, 'dist/cli.js'] },
      { name: 'deno (TypeScript source)', cmd: [RUNTIMES.deno, 'run', '-A', '--sloppy-imports', 'src/cli.ts'] },
    );
  }, 300_000);

  it('gives a job the same name under every runner, and a checkpoint written under one resumes under the next', () => {
    const seenLog = path.join(app, 'seen.log');
    const sentLog = path.join(app, 'sent.log');
    const total = 3 * runners.length + 3;
    const expected = { name: `Backfill.run-${hash('job')}`, fnName: `backfill-${hash('job')}`, mail: ['a:ann', 'b:ann'] };
    const report: string[] = [];
    const chain = [...runners, { name: 'tsc + node 20 (completes)', cmd: [RUNTIMES.node20, 'dist/cli.js'] } as Runner];
    chain.forEach((runner, i) => {
      const before = fs.existsSync(seenLog) ? fs.readFileSync(seenLog, 'utf8').split('\n').filter(Boolean).length : 0;
      const resultFile = path.join(app, `result-${i}.json`);
      const last = i === chain.length - 1;
      const env = { TOTAL: String(total), SEEN_LOG: seenLog, SENT_LOG: sentLog, RESULT: resultFile, ...(last ? {} : { FAIL_AT: String(3 * (i + 1)) }) };
      const r = run(runner.cmd, app, env);
      if (!fs.existsSync(resultFile)) throw new Error(`${runner.name} reported nothing (exit ${r.code ?? r.signal})\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
      const got = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { name: string; fnName: string; error: string | null; mail: string[] };
      if (!runner.resultFile) expect(lastJson(r.stdout)).toEqual(got);
      const seen = fs.readFileSync(seenLog, 'utf8').split('\n').filter(Boolean).slice(before).map(Number);
      report.push(`${runner.name}: ${got.name} ${got.fnName} [${seen.join(',')}] ${got.mail.join(',')}`);
      expect({ runner: runner.name, name: got.name, fnName: got.fnName, mail: got.mail }).toEqual({ runner: runner.name, ...expected });
      expect({ runner: runner.name, seen, error: got.error }).toEqual({
        runner: runner.name,
        seen: [3 * i, 3 * i + 1, 3 * i + 2],
        error: last ? null : `stopped at ${3 * (i + 1)}`,
      });
    });
    expect(fs.readFileSync(sentLog, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['a:ann', 'b:ann']);
    expect(fs.readdirSync(path.join(app, '.safe_state')).filter((f) => f.endsWith('.safestate')).some((f) => f.startsWith('Backfill'))).toBe(false);
    process.stdout.write(`${report.join('\n')}\n`);
  }, 600_000);

  it('refuses a bundle without a source map at definition time, naming the fix', () => {
    const r = run([RUNTIMES.node20, 'nomap/app.js'], app, { TOTAL: '3', SEEN_LOG: path.join(app, 'nomap.log'), SENT_LOG: path.join(app, 'nomap-sent.log') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/InvalidOptionsError: name: cannot derive a stable default name for the @SafeState method 'run': it is bundled into .*nomap\/app\.js, which has no source map/);
    expect(fs.existsSync(path.join(app, 'nomap.log'))).toBe(false); // nothing ran
  });

  it('names a job defined in a library package alike, installed in node_modules or linked from a workspace', () => {
    const lib = {
      'package.json': JSON.stringify({ name: 'jobs-lib', version: '1.0.0', main: 'dist/index.js' }),
      'dist/index.js': "const { safeState } = require('safe-state');\nexports.sync = safeState(async function sync(xs) { for (const x of xs) void x; });\n",
    };
    const main = "const { sync } = require('jobs-lib');\nconsole.log(JSON.stringify({ name: sync.jobName }));\n";
    const installed = scratchApp('lib-installed', { 'main.js': main, ...Object.fromEntries(Object.entries(lib).map(([k, v]) => [`node_modules/jobs-lib/${k}`, v])) });
    const workspace = scratchApp('lib-workspace', { 'main.js': main, ...Object.fromEntries(Object.entries(lib).map(([k, v]) => [`packages/jobs-lib/${k}`, v])) });
    fs.mkdirSync(path.join(workspace, 'node_modules'), { recursive: true });
    fs.symlinkSync(path.join(workspace, 'packages', 'jobs-lib'), path.join(workspace, 'node_modules', 'jobs-lib'), 'dir');
    const expected = { name: `sync-${hash('index')}` };
    expect(lastJson(runOk([RUNTIMES.node20, 'main.js'], installed).stdout)).toEqual(expected);
    expect(lastJson(runOk([RUNTIMES.node20, 'main.js'], workspace).stdout)).toEqual(expected);
    expect(lastJson(runOk([RUNTIMES.node20, '--preserve-symlinks', 'main.js'], workspace).stdout)).toEqual(expected);
  });
});
