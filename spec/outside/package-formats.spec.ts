import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNTIMES, lastJson, run, runOk, scratchApp, toolBin } from './scratch';

/**
 * The dual package from outside: an ES module project (`"type": "module"`, TypeScript nodenext)
 * compiled by tsc against the ES module types, run by node (where `import` and `require` of
 * safe-state give one instance), run by tsx, and bundled by esbuild into an ES module bundle, with
 * and without the `createRequire` banner users add to such bundles. A job started under one resumes
 * under the next, over one state directory.
 */
const APP_SRC = path.join(__dirname, 'apps', 'esm');
const hash = (id: string) => createHash('sha256').update(id).digest('hex').slice(0, 8);
const DRIVERS = ['ioredis', 'pg', 'mysql2', 'knex', 'better-sqlite3'].map((d) => `--external:${d}`);
const USER_BANNER = "--banner:js=import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);";

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), rel);
      else out[rel] = fs.readFileSync(path.join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

describe('ES module and CommonJS builds, from a scratch project that installs the packed package', () => {
  let app = '';

  beforeAll(() => {
    app = scratchApp('esm', files(APP_SRC), { type: 'module' });
    runOk([...toolBin('tsc'), '-p', '.'], app); // type-checks against dist/index.d.mts (skipLibCheck off)
    const esbuild = [...toolBin('esbuild'), 'src/cli.ts', '--bundle', '--platform=node', '--format=esm', '--target=node20', '--sourcemap', '--log-level=warning', ...DRIVERS];
    runOk([...esbuild, '--outfile=bundle/app.mjs'], app);
    runOk([...esbuild, USER_BANNER, '--outfile=bundle-banner/app.mjs'], app);
  }, 300_000);

  it('runs and resumes under node (ESM), an ESM bundle, an ESM bundle with the createRequire banner, and tsx', () => {
    const seenLog = path.join(app, 'seen.log');
    const chain: { name: string; cmd: string[]; bundled: boolean }[] = [
      { name: 'tsc (nodenext) + node', cmd: [RUNTIMES.node20, 'dist/cli.js'], bundled: false },
      { name: 'esbuild --format=esm bundle', cmd: [RUNTIMES.node20, 'bundle/app.mjs'], bundled: true },
      { name: 'esbuild --format=esm bundle with the createRequire banner', cmd: [RUNTIMES.node20, 'bundle-banner/app.mjs'], bundled: true },
      { name: 'tsx (ESM)', cmd: [...toolBin('tsx'), 'src/cli.ts'], bundled: false },
      { name: 'tsc + node (completes)', cmd: [RUNTIMES.node20, 'dist/cli.js'], bundled: false },
    ];
    const total = 3 * chain.length;
    chain.forEach((step, i) => {
      const last = i === chain.length - 1;
      const before = fs.existsSync(seenLog) ? fs.readFileSync(seenLog, 'utf8').split('\n').filter(Boolean).length : 0;
      const r = run(step.cmd, app, { TOTAL: String(total), SEEN_LOG: seenLog, ...(last ? {} : { FAIL_AT: String(3 * (i + 1)) }) });
      if (r.code !== 0) throw new Error(`${step.name} exited ${r.code ?? r.signal}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
      const got = lastJson<{ name: string; error: string | null; oneInstance: boolean | null }>(r.stdout);
      const seen = fs.readFileSync(seenLog, 'utf8').split('\n').filter(Boolean).slice(before).map(Number);
      expect({ step: step.name, name: got.name, error: got.error, seen }).toEqual({
        step: step.name,
        name: `Import.run-${hash('job')}`,
        error: last ? null : `stopped at ${3 * (i + 1)}`,
        seen: [3 * i, 3 * i + 1, 3 * i + 2],
      });
      // outside a bundle, import and require of safe-state are one instance (one registry, one set of signal listeners)
      if (!step.bundled) expect({ step: step.name, oneInstance: got.oneInstance }).toEqual({ step: step.name, oneInstance: true });
    });
  }, 300_000);

  it('shares the SIGINT listener between two loaded copies (the ES module build beside the CommonJS one): Ctrl-C still ends the process', () => {
    const dir = scratchApp('dual', {
      'main.mjs': `import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const require = createRequire(import.meta.url);
const cjs = require('safe-state');
// a second copy: the ES module build itself, as a bundler would take it
const esm = await import(pathToFileURL(require.resolve('safe-state').replace(/index\\.js$/, 'index.mjs')).href);
// Ctrl-C once both jobs are running (each has done an item), however slow the machine
const running = new Set();
const ctrlC = () => {
  console.log(JSON.stringify({ copies: cjs.safeState !== esm.safeState, listeners: process.listeners('SIGINT').filter((l) => l.name === 'onSignal').length }));
  process.kill(process.pid, 'SIGINT');
};
const slow = (lib, name) => lib.safeState(async function job(xs) {
  for (const x of xs) {
    await new Promise((r) => setTimeout(r, 20));
    if (!running.has(name)) { running.add(name); if (running.size === 2) setImmediate(ctrlC); }
  }
}, { name, stateDir: 'state' });
const runs = [slow(cjs, 'a')(Array.from({ length: 200 }, (_, i) => i)), slow(esm, 'b')(Array.from({ length: 200 }, (_, i) => i))];
await Promise.allSettled(runs);
console.log(JSON.stringify({ ended: 'normally' }));
`,
    });
    const r = run([RUNTIMES.node20, 'main.mjs'], dir, {}, 60_000);
    expect(lastJson(r.stdout)).toEqual({ copies: true, listeners: 1 });
    expect(r.signal).toBe('SIGINT'); // not swallowed: both copies' jobs flushed, then the signal ended the process
    expect(fs.readdirSync(path.join(dir, 'state')).filter((f) => f.endsWith('.safestate')).length).toBe(2);
  });
});
