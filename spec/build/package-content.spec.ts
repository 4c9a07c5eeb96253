import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers';

/**
 * What `npm publish` would upload: `npm pack --dry-run --json` in a copy of the repository after
 * `npm run build` and `npm run docs` (the generated site in docs/api, as on a maintainer's machine).
 * The package holds the builds, the declarations, the hand-written guides, README and LICENSE; not
 * the generated site, the sources, the tests or the scripts; and nothing of the test-only hooks.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const NM = path.join(ROOT, 'node_modules');
const OUT = tempDir('safe-state-pack-');
const STAGE = path.join(OUT, 'repo');

interface PackResult {
  files: { path: string }[];
}

let packed: string[] = [];

/** The guides of the repository (docs/*, without the generated site). */
function guides(): string[] {
  return fs.readdirSync(path.join(ROOT, 'docs'), { withFileTypes: true }).filter((e) => e.isFile()).map((e) => `docs/${e.name}`);
}

describe('the packed package (npm pack)', () => {
  beforeAll(() => {
    fs.mkdirSync(STAGE, { recursive: true });
    for (const entry of ['package.json', 'README.md', 'LICENSE', 'docs', 'lib', 'spec', 'scripts', 'samples', 'tsconfig.json', 'typedoc.config.mjs']) {
      const from = path.join(ROOT, entry);
      if (fs.existsSync(from)) fs.cpSync(from, path.join(STAGE, entry), { recursive: true, filter: (src) => !src.startsWith(path.join(ROOT, 'docs', 'api')) });
    }
    // what `npm run docs` leaves behind
    fs.mkdirSync(path.join(STAGE, 'docs', 'api', 'assets'), { recursive: true });
    fs.writeFileSync(path.join(STAGE, 'docs', 'api', 'index.html'), '<!doctype html><title>safe-state</title>\n');
    fs.writeFileSync(path.join(STAGE, 'docs', 'api', 'assets', 'search.js'), '// the generated site\n');
    execFileSync(process.execPath, [path.join(NM, 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'build.ts'), path.join(STAGE, 'dist')], { cwd: ROOT, stdio: 'pipe' });
    const json = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: STAGE, encoding: 'utf8', env: { ...process.env, npm_config_ignore_scripts: 'true' } });
    packed = (JSON.parse(json) as PackResult[])[0]!.files.map((f) => f.path).sort();
  }, 300_000);

  afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

  it('holds the CommonJS and ES module builds, their declarations, the command line, README, LICENSE and the guides', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index-lazy.js', 'dist/devalue.js', 'dist/index.mjs', 'dist/index.node.mjs', 'dist/index.d.ts', 'dist/index.d.mts', 'dist/cli/main.js', 'dist/index.js.map', 'dist/testing.js', 'dist/testing.mjs', 'dist/testing.node.mjs', 'dist/testing.d.mts', 'dist/testing/index.d.ts', ...guides(),
      'dist/otel/index.js', 'dist/otel/index.mjs', 'dist/otel/index.node.mjs', 'dist/otel/index.d.ts', 'dist/otel/index.d.mts']) {
      expect(packed).toContain(f);
    }
  });

  it('leaves out the generated site, the sources, the tests and the scripts', () => {
    expect(packed.filter((f) => /^(docs\/api|lib|spec|scripts|samples|bench)\//.test(f))).toEqual([]);
    expect(packed.filter((f) => /(^|\/)(spec|test|tests|__tests__|fixtures)\/|\.(spec|test)\.[cm]?[jt]s(\.map)?$/.test(f))).toEqual([]);
    expect(packed.filter((f) => /\.[cm]?ts$/.test(f) && !/\.d\.[cm]?ts$/.test(f))).toEqual([]);
    expect(packed.filter((f) => !f.startsWith('dist/') && !f.startsWith('docs/'))).toEqual(['LICENSE', 'README.md', 'package.json']);
  });

  it('has no test-only hooks in the build: no SAFE_STATE_TEST_ variable anywhere in dist/', () => {
    const dist = path.join(STAGE, 'dist');
    const files = fs.readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(dist, f)).isFile());
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => fs.readFileSync(path.join(dist, f), 'utf8').includes('SAFE_STATE_TEST'))).toEqual([]);
    // the hooks' code itself is gone, not just the names
    const index = fs.readFileSync(path.join(dist, 'index.js'), 'utf8');
    expect(index).not.toMatch(/writeSync\)\(fd, ?p\)|process\.env\.SAFE_STATE_TEST/);
  });

  it('maps the safe-state/testing subpath like the root: import, require and types, each to a packed file', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(STAGE, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, unknown>>; typesVersions: Record<string, Record<string, string[]>> };
    const sub = pkg.exports['./testing'];
    expect(Object.keys(sub)).toEqual(Object.keys(pkg.exports['.']));
    const targets = JSON.stringify(sub).match(/\.\/dist\/[^"]+/g)!;
    expect(targets.length).toBeGreaterThanOrEqual(7);
    for (const t of targets) expect(packed).toContain(t.slice(2));
    expect(pkg.typesVersions['*'].testing).toEqual(['dist/testing/index.d.ts']); // TypeScript with moduleResolution node10
    expect(pkg.typesVersions['*'].otel).toEqual(['dist/otel/index.d.ts']);
    // the kit's bundles take the library from the main entry beside them: one instance of every class
    expect(fs.readFileSync(path.join(STAGE, 'dist', 'testing.js'), 'utf8')).toMatch(/require\("\.\/index\.js"\)/);
    expect(fs.readFileSync(path.join(STAGE, 'dist', 'testing.mjs'), 'utf8')).toMatch(/from "\.\/index\.mjs"/);
    expect(fs.readFileSync(path.join(STAGE, 'dist', 'testing.js'), 'utf8')).not.toMatch(/class (SafeStateError|StateBackend|Checkpoint)\b/);
  });

  it('names its license, repository, home page and issue tracker (so the registry page can resolve README links)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(STAGE, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.license).toBe('MIT');
    expect(fs.readFileSync(path.join(STAGE, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 safe-state contributors\n/);
    expect(pkg.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/[^/]+\/safe-state\.git$/) });
    expect(pkg.homepage).toEqual(expect.stringMatching(/^https:\/\/github\.com\/[^/]+\/safe-state#readme$/));
    expect(pkg.bugs).toEqual({ url: expect.stringMatching(/^https:\/\/github\.com\/[^/]+\/safe-state\/issues$/) });
  });

  it('declares the Node types its declarations use: a project whose tsconfig lists no types compiles against it', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(STAGE, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional?: boolean }> };
    expect(pkg.peerDependencies['@types/node']).toBeDefined();
    expect(pkg.peerDependenciesMeta['@types/node']).toEqual({ optional: true });
    expect(fs.readFileSync(path.join(STAGE, 'dist', 'index.d.ts'), 'utf8')).toMatch(/^\/\/\/ <reference types="node" \/>\n/);

    const app = path.join(OUT, 'app');
    fs.mkdirSync(path.join(app, 'node_modules', '@types'), { recursive: true });
    fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    fs.symlinkSync(STAGE, path.join(app, 'node_modules', 'safe-state'), 'dir');
    fs.symlinkSync(path.join(NM, '@types', 'node'), path.join(app, 'node_modules', '@types', 'node'), 'dir');
    // "types": [] is what many projects set to keep unrelated @types packages out of their globals
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', types: [], noEmit: true }, files: ['app.ts'] }));
    fs.writeFileSync(
      path.join(app, 'app.ts'),
      "import { safeState, FileBackend } from 'safe-state';\nimport { instrument } from 'safe-state/otel';\n" +
        "const job = safeState(async (xs: number[]) => { for (const x of xs) void x; }, { name: 'j', backend: new FileBackend() });\nvoid job;\nconst uninstall: () => void = instrument({ itemSpans: true });\nvoid uninstall;\n",
    );
    const tsc = spawnTsc(app);
    expect(tsc.output).toBe('');
    expect(tsc.status).toBe(0);

    // the subpath resolves for require and import alike, and loads no @opentelemetry package by being imported
    const probe = (code: string, type: 'commonjs' | 'module') => execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: app, encoding: 'utf8' }).trim();
    const loaded = "Object.keys(require.cache).filter((f) => f.includes('@opentelemetry')).length";
    expect(probe(`const o = require('safe-state/otel'); console.log(typeof o.instrument, ${loaded})`, 'commonjs')).toBe('function 0');
    expect(probe("const o = await import('safe-state/otel'); console.log(typeof o.instrument)", 'module')).toBe('function');
  }, 120_000);
});

function spawnTsc(cwd: string): { status: number; output: string } {
  try {
    execFileSync(process.execPath, [path.join(NM, 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd, encoding: 'utf8', stdio: 'pipe' });
    return { status: 0, output: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { status: err.status, output: `${err.stdout}${err.stderr}` };
  }
}
