import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import * as esbuild from 'esbuild';
import { safeState, idempotent, InvalidOptionsError, MemoryBackend } from '../../lib/index';
import { tempDir } from '../helpers';

/**
 * How the default name of a job (and the scope of `@Idempotent` records) is told: from raw call
 * sites and source maps, refusing where no stable name exists. The same from outside, under every
 * runner: spec/outside/identity.spec.ts.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const hash = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8);
const backend = new MemoryBackend();

/** A package in a temp dir whose module(s) call `globalThis.__safeState`, loaded with require. */
function pkgWith(files: Record<string, string>): string {
  const dir = tempDir('safe-state-identity-');
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "identity-fixture" }\n');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

type Loaded = Record<string, { jobName: string } & ((xs: number[]) => Promise<unknown>)>;

function load(file: string): Loaded {
  (globalThis as Record<string, unknown>).__safeState = safeState;
  (globalThis as Record<string, unknown>).__backend = backend;
  return require(file) as Loaded;
}

describe('default job names', () => {
  it('come from the defining module, relative to its package root', () => {
    const job = safeState(async function backfill(xs: number[]) {
      for (const x of xs) void x;
    });
    expect(job.jobName).toBe(`backfill-${hash('spec/engine/identity.spec')}`);
  });

  it('drop a leading output directory and then a leading source directory', () => {
    const dir = pkgWith({
      'dist/src/jobs/a.js': 'exports.a = globalThis.__safeState(async function a(xs) {}, { backend: globalThis.__backend });\n',
      'build/b.js': 'exports.b = globalThis.__safeState(async function b(xs) {}, { backend: globalThis.__backend });\n',
      'lib/c.mjs.js': 'exports.c = globalThis.__safeState(async function c(xs) {}, { backend: globalThis.__backend });\n',
    });
    expect(load(path.join(dir, 'dist/src/jobs/a.js')).a.jobName).toBe(`a-${hash('jobs/a')}`);
    expect(load(path.join(dir, 'build/b.js')).b.jobName).toBe(`b-${hash('b')}`);
    expect(load(path.join(dir, 'lib/c.mjs.js')).c.jobName).toBe(`c-${hash('c.mjs')}`);
  });

  it('refuse code without a module file at definition time (vm); eval inside a module is that module', () => {
    const define = vm.runInThisContext('(s) => s(async function viaVm(xs) {})') as (s: typeof safeState) => unknown;
    expect(() => define(safeState)).toThrow(InvalidOptionsError);
    expect(() => define(safeState)).toThrow(/cannot derive a stable default name for safeState\(viaVm\): its code has no module file/);
    (globalThis as Record<string, unknown>).__safeState = safeState;
    // eval'ed code inside a module file belongs to that module
    expect((eval('globalThis.__safeState(async function viaEval(xs) {})') as { jobName: string }).jobName).toBe(`viaEval-${hash('spec/engine/identity.spec')}`);
    // with a name, nothing needs deriving
    expect((vm.runInThisContext('(s) => s(async function named(xs) {}, "named-job")') as (s: typeof safeState) => { jobName: string })(safeState).jobName).toBe('named-job');
  });

  it('refuse a module outside any package', () => {
    const dir = tempDir('safe-state-identity-nopkg-');
    const file = path.join(dir, 'loose.js');
    fs.writeFileSync(file, 'exports.loose = globalThis.__safeState(async function loose(xs) {});\n');
    if (fs.existsSync(path.join(path.dirname(dir), 'package.json'))) return; // a package.json above the temp dir: nothing to test
    expect(() => load(file)).toThrow(/its module .*loose\.js is outside any package/);
  });

  it('trace a name a transpiler suffixed back to the source, and refuse one the source does not hold', async () => {
    const dir = pkgWith({
      'src/job.js': [
        "// the source declares 'backfill' and 'other' only",
        'const backfill = async function (xs) {};',
        "Object.defineProperty(backfill, 'name', { value: 'backfill' + 7 });",
        'exports.suffixed = globalThis.__safeState(backfill, { backend: globalThis.__backend });',
        'const other = async function (xs) {};',
        "Object.defineProperty(other, 'name', { value: 'q'.repeat(3) });",
        'exports.unknown = globalThis.__safeState(other, { backend: globalThis.__backend });',
      ].join('\n'),
    });
    const m = load(path.join(dir, 'src/job.js'));
    expect(m.suffixed.jobName).toBe(`backfill-${hash('job')}`);
    await expect(m.unknown([1])).rejects.toThrow(/it runs as 'qqq', a name its source .*job\.js does not have: a transpiler or bundler renamed it/);
  });

  it('read bundles through their source map, and refuse a bundle without one', async () => {
    const dir = pkgWith({
      'src/a/mailer.js': 'export const send = globalThis.__safeState(async function send(xs) {}, { backend: globalThis.__backend });\n',
      'src/b/mailer.js': 'export const send = globalThis.__safeState(async function send(xs) {}, { backend: globalThis.__backend });\n',
      'src/main.js': "export { send as a } from './a/mailer';\nexport { send as b } from './b/mailer';\n",
    });
    const common: esbuild.BuildOptions = { entryPoints: [path.join(dir, 'src/main.js')], bundle: true, platform: 'node', format: 'cjs', logLevel: 'silent' };
    await esbuild.build({ ...common, outfile: path.join(dir, 'dist/app.js'), sourcemap: true });
    await esbuild.build({ ...common, outfile: path.join(dir, 'nomap/app.js') });
    // in a plain node process: jest would transform the bundle, so its positions would not be the file's
    const names = (bundle: string): { a?: string; b?: string; error?: string } => {
      const code = `globalThis.__safeState = require(${JSON.stringify(path.join(ROOT, 'lib/index.ts'))}).safeState;
try { const m = require(${JSON.stringify(bundle)}); console.log(JSON.stringify({ a: m.a.jobName, b: m.b.jobName })); }
catch (e) { console.log(JSON.stringify({ error: e.message })); }`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
      return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { a?: string; b?: string; error?: string };
    };
    // esbuild renamed the second function to send2: traced back to `send`, module b/mailer
    expect(names(path.join(dir, 'dist/app.js'))).toEqual({ a: `send-${hash('a/mailer')}`, b: `send-${hash('b/mailer')}` });
    fs.rmSync(path.join(dir, 'src'), { recursive: true }); // the map embeds the sources: they need not be on disk
    expect(names(path.join(dir, 'dist/app.js'))).toEqual({ a: `send-${hash('a/mailer')}`, b: `send-${hash('b/mailer')}` });
    expect(names(path.join(dir, 'nomap/app.js')).error).toMatch(/it is bundled into .*nomap\/app\.js, which has no source map/);
  });

  it('scope @Idempotent records by their module too, and refuse where it cannot be told', () => {
    expect(() => (vm.runInThisContext('(i) => i(async function charge(id) { return id; }, { key: (id) => id })') as (i: typeof idempotent) => unknown)(idempotent)).toThrow(
      /cannot derive a stable default name for the records of idempotent\(charge\): its code has no module file/,
    );
    // a check-only idempotent records nothing, so it needs no scope
    expect(() => (vm.runInThisContext('(i) => i(async function check(id) { return id; }, () => false)') as (i: typeof idempotent) => unknown)(idempotent)).not.toThrow();
  });
});
