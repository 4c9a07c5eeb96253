/**
 * The save worker of plain `for..of` loops from the built package: `dist/blocking-worker.js`
 * beside `dist/index.js` is found and used (SIGKILL in item 20 of 50 on Redis, the rerun starts at
 * 20), the worker never keeps the process alive (the child ends by itself), and an application
 * bundle that left the worker out gets one warning and still runs to its end.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { bundle } from '../../scripts/build';
import { tempDir } from '../helpers';
import { testServers } from '../setup/servers';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = tempDir('safe-state-sync-loop-dist-');
const DIST = path.join(OUT, 'pkg', 'dist');

const APP = `
const fs = require('node:fs');
const { safeState, RedisBackend } = require(process.env.SAFE_STATE_ENTRY);
const [url, prefix, name, stopAtText] = process.argv.slice(2);
const stopAt = Number(stopAtText);
const hold = new Int32Array(new SharedArrayBuffer(4));
const backend = RedisBackend.fromUrl(url, { prefix });
process.on('warning', (w) => fs.writeSync(1, 'W ' + w.code + '\\n'));
const job = safeState(async (xs) => {
  for (const x of xs) {
    fs.writeSync(1, 'B ' + x + '\\n');
    if (x === stopAt) for (;;) Atomics.wait(hold, 0, 0, 1000);
  }
}, { name, backend });
job(Array.from({ length: 50 }, (_, i) => i)).then(async () => {
  fs.writeSync(1, 'END\\n');
  await backend.close(); // no process.exit: the child must end by itself
}, (e) => { fs.writeSync(2, String(e && e.stack || e) + '\\n'); process.exitCode = 1; });
`;

interface Run {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function run(script: string, entry: string, name: string, stopAt: number): Promise<Run> {
  const child = spawn(process.execPath, [script, testServers().redisUrl, `dist:${process.pid}:`, name, String(stopAt)], {
    cwd: OUT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '', SAFE_STATE_ENTRY: entry },
  });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      if (l === `B ${stopAt}`) child.kill('SIGKILL');
    }
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ lines, code, signal, stderr });
    }),
  );
}

const items = (r: Run) => r.lines.filter((l) => l.startsWith('B ')).map((l) => Number(l.slice(2)));

describe('the save worker of for..of in the built package', () => {
  beforeAll(async () => {
    fs.mkdirSync(path.join(OUT, 'pkg'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(OUT, 'pkg', 'node_modules'), 'dir');
    fs.writeFileSync(path.join(OUT, 'pkg', 'app.js'), APP);
    await bundle(DIST);
  }, 120_000);

  afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

  it('dist/blocking-worker.js is beside dist/index.js and is used: SIGKILL in item 20 of 50, the rerun starts at 20; the process ends by itself', async () => {
    expect(fs.existsSync(path.join(DIST, 'blocking-worker.js'))).toBe(true);
    const app = path.join(OUT, 'pkg', 'app.js');
    const entry = path.join(DIST, 'index.js');
    const first = await run(app, entry, 'dist-job', 20);
    expect({ signal: first.signal, stderr: first.stderr, last: items(first).at(-1) }).toEqual({ signal: 'SIGKILL', stderr: '', last: 20 });
    const second = await run(app, entry, 'dist-job', -1);
    expect({ code: second.code, signal: second.signal, stderr: second.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(items(second)).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i));
    expect(second.lines.filter((l) => l.startsWith('W '))).toEqual([]);
    expect(second.lines.at(-1)).toBe('END');
  });

  it('an application bundle without the worker file: one warning naming the fix, and the job still completes', async () => {
    const bundled = path.join(OUT, 'pkg', 'bundle', 'app.js');
    fs.writeFileSync(path.join(OUT, 'pkg', 'app-entry.js'), APP.replace('require(process.env.SAFE_STATE_ENTRY)', `require(${JSON.stringify(path.join(DIST, 'index.js'))})`));
    await esbuild.build({ entryPoints: [path.join(OUT, 'pkg', 'app-entry.js')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundled, external: ['ioredis'], logLevel: 'error' });
    const r = await run(bundled, '', 'bundle-job', -1);
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    expect(r.lines.filter((l) => l.startsWith('W '))).toEqual(['W SAFE_STATE_ASYNC_SAVE_IN_FOR_OF']);
    expect(r.stderr).toMatch(/blocking-worker\.js[\s\S]*for await/);
    expect(items(r)).toHaveLength(50);
    expect(r.lines.at(-1)).toBe('END');
  });
});
