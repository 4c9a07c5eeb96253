import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lib from '../../lib/index';
import { tempDir } from '../helpers';

/**
 * The built package (`npm run build`, scripts/build.ts): a bundled `dist/index.js` with the same
 * exports as the sources (its rarely used parts in `index-lazy.js`, loaded at first use), a working
 * command line, declarations beside them; and a job defined in an application file gets the same
 * default name from the bundle as from the sources (the bundle's own frames are recognised as
 * safe-state's).
 */
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const OUT = tempDir('safe-state-build-');
const DIST = path.join(OUT, 'pkg', 'dist');

function node(args: string[], cwd = OUT): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the built package (scripts/build.ts)', () => {
  beforeAll(() => {
    const pkg = path.join(OUT, 'pkg');
    fs.mkdirSync(pkg, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    execFileSync(TSX, ['scripts/build.ts', DIST], { cwd: ROOT, stdio: 'pipe' });
  }, 120_000);

  afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

  it('bundles the library: one module loaded at start-up with the exports of lib/index.ts, and declarations', () => {
    const r = node(['-e', `const m = require(${JSON.stringify(path.join(DIST, 'index.js'))}); const own = Object.keys(require.cache).filter((f) => !f.includes('/node_modules/')); console.log(JSON.stringify({ keys: Object.keys(m).sort(), own: own.length }))`]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { keys: string[]; own: number };
    expect(out.keys).toEqual(Object.keys(lib).sort());
    expect(out.own).toBe(1);
    expect(fs.existsSync(path.join(DIST, 'index.d.ts'))).toBe(true);
    expect(fs.existsSync(path.join(DIST, 'engine', 'run-job.js'))).toBe(false);
  });

  it('keeps the names of its classes and functions: each export is named as exported, each error after its class', () => {
    // esbuild lowers some classes to `var _X = class _X`, and the build replaces esbuild's __name
    // helper by one that sets only the names that differ: an error must still say `JobLockedError`
    // (SafeStateError names itself after new.target)
    const probe = `const m = require(${JSON.stringify(path.join(DIST, 'index.js'))});
const misnamed = Object.entries(m).filter(([k, v]) => typeof v === 'function' && v.name !== k).map(([k, v]) => k + ' is named ' + v.name);
const errors = Object.entries(m).filter(([, v]) => typeof v === 'function' && v.prototype instanceof Error).map(([k, v]) => [k, v.prototype.constructor.name]);
console.log(JSON.stringify({ misnamed, errors }));`;
    const r = node(['-e', probe]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { misnamed: string[]; errors: [string, string][] };
    expect(out.misnamed).toEqual([]);
    expect(out.errors.length).toBeGreaterThanOrEqual(10);
    for (const [k, ctorName] of out.errors) expect(ctorName).toBe(k);
    expect(node(['-e', `const { JobLockedError } = require(${JSON.stringify(path.join(DIST, 'index.js'))}); const e = new JobLockedError('job', null); console.log(e.name, String(e).split(':')[0])`]).stdout.trim()).toBe('JobLockedError JobLockedError');
  });

  it('does no hashing while it loads (the Redis scripts are named by their SHA-1 at first use)', () => {
    // 15 SHA-1s of Lua scripts at load cost 1-2 ms of every process's start, Redis or not
    const probe = `const crypto = require('node:crypto');
const real = crypto.createHash;
let calls = 0;
crypto.createHash = (...a) => (calls++, real(...a));
require(${JSON.stringify(path.join(DIST, 'index.js'))});
console.log(calls);`;
    const r = node(['-e', probe]);
    expect(r.stderr).toBe('');
    expect(Number(r.stdout.trim())).toBe(0);
  });

  it('loads the network backends, transactions and @Idempotent records only when one is used, as the same classes', () => {
    // V8 compiles every byte of index.js when node loads it: what a File job never runs is in
    // index-lazy.js, behind stand-ins (scripts/split-bundle.ts, lib/util/lazy-parts.ts)
    const index = path.join(DIST, 'index.js');
    const lazy = path.join(DIST, 'index-lazy.js');
    const probe = `const m = require(${JSON.stringify(index)});
const Database = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'better-sqlite3'))});
const loaded = () => require.cache[${JSON.stringify(lazy)}] !== undefined;
const out = { atLoad: loaded(), instanceofBefore: ({}) instanceof m.RedisBackend || ({}) instanceof m.Transaction };
out.afterInstanceof = loaded();
(async () => {
  const job = m.safeState(async (xs) => { for (const x of xs) void x; }, { name: 'split-probe', stateDir: ${JSON.stringify(path.join(OUT, 'split-state'))} });
  await job([1, 2, 3]);
  out.afterFileJob = loaded();
  class MyBackend extends m.SqlBackend { kind() { return 'mine'; } }
  const b = new MyBackend(new Database(':memory:'));
  out.afterSubclass = loaded();
  out.subclass = [b instanceof MyBackend, b instanceof m.SqlBackend, b instanceof m.StateBackend, b.kind(), Object.getPrototypeOf(MyBackend.prototype) === m.SqlBackend.prototype];
  out.names = [m.SqlBackend.name, m.RedisBackend.name, m.IdempotencyCache.name, m.transaction.name, typeof m.SqlBackend.fromUrl];
  try { m.SqlBackend.fromUrl('ftp://nowhere'); } catch (e) { out.error = [e.constructor.name, e instanceof m.InvalidOptionsError, e instanceof m.SafeStateError, e.code]; }
  const cache = new m.IdempotencyCache({ backend: new m.MemoryBackend() });
  out.cache = [cache instanceof m.IdempotencyCache, ({}) instanceof m.IdempotencyCache];
  const seen = [];
  const job2 = m.safeState(async (xs) => { for (const x of xs) seen.push(x); }, { name: 'split-probe-sql', backend: b });
  await job2([1, 2]);
  out.sqlJob = seen;
  await b.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });`;
    const r = node(['-e', probe]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      atLoad: false,
      instanceofBefore: false,
      afterInstanceof: false,
      afterFileJob: false,
      afterSubclass: true,
      subclass: [true, true, true, 'mine', true],
      names: ['SqlBackend', 'RedisBackend', 'IdempotencyCache', 'transaction', 'function'],
      error: ['InvalidOptionsError', true, true, 'INVALID_OPTIONS'],
      cache: [true, false],
      sqlJob: [1, 2],
    });
  });

  it('runs the command line', () => {
    const main = path.join(DIST, 'cli', 'main.js');
    expect(fs.statSync(main).mode & 0o111).not.toBe(0);
    const r = node([main, '--version']);
    expect({ code: r.code, stdout: r.stdout.trim() }).toEqual({ code: 0, stdout: expect.stringContaining(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version) });
  });

  it('names a job after the application file that defines it, and resumes it', () => {
    const app = path.join(OUT, 'app');
    fs.mkdirSync(path.join(app, 'src'), { recursive: true });
    fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app" }\n');
    const script = path.join(app, 'src', 'job.js');
    fs.writeFileSync(
      script,
      `const { safeState } = require(${JSON.stringify(path.join(DIST, 'index.js'))});
const fail = process.argv[2] === 'fail';
const seen = [];
const backfill = safeState(async function backfill(xs) { for (const x of xs) { if (fail && x === 3) throw new Error('boom'); seen.push(x); } }, { stateDir: ${JSON.stringify(path.join(app, 'state'))} });
backfill([0, 1, 2, 3, 4]).then(() => console.log(JSON.stringify({ name: backfill.jobName, seen })), (e) => console.log(JSON.stringify({ name: backfill.jobName, error: e.message, seen })));
`,
    );
    const expected = `backfill-${createHash('sha256').update('job').digest('hex').slice(0, 8)}`;
    expect(JSON.parse(node([script, 'fail'], app).stdout)).toEqual({ name: expected, error: 'boom', seen: [0, 1, 2] });
    expect(JSON.parse(node([script], app).stdout)).toEqual({ name: expected, seen: [3, 4] });
  });
});
