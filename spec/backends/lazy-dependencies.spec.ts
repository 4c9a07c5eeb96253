import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TS_NODE, tempDir } from '../helpers';

/**
 * What importing safe-state loads: the dependencies a resumed job does not need before its first
 * item stay unloaded until something needs them (they cost start-up time: docs/benchmarks.md).
 * proper-lockfile (with graceful-fs, retry, signal-exit): never, a FileBackend lock is one `mkdir`
 * of its own (lib/backends/file/lock-dir.ts); devalue: at the first value to (de)serialize;
 * reflect-metadata: never by safe-state itself (used when the application loaded it). @opentelemetry/api:
 * never by importing safe-state or safe-state/otel (only by `instrument()` without `api`).
 */
const LIB = path.resolve(__dirname, '../../lib/index');
const WATCHED = ['proper-lockfile', 'graceful-fs', 'signal-exit', 'devalue', 'reflect-metadata', '@opentelemetry'];

/** Runs `body` in a fresh node process; answers which watched packages were loaded by then. */
function loadedAfter(body: string): string[] {
  const script = `
    (async () => {
      ${body}
      const watched = ${JSON.stringify(WATCHED)};
      const loaded = Object.keys(require.cache).map((f) => f.split('/node_modules/').pop()!.split('/')[0]).filter((p) => watched.includes(p));
      console.log(JSON.stringify({ loaded: [...new Set(loaded)].sort(), reflect: typeof (Reflect as any).getMetadata }));
    })().catch((e: unknown) => { console.error(e); process.exit(1); });
  `;
  const file = path.join(tempDir('safe-state-lazy-deps-'), 'script.ts'); // a file: tsx lowers its decorators
  fs.writeFileSync(file, script);
  const r = spawnSync(TS_NODE[0], [...TS_NODE.slice(1), file], { encoding: 'utf8', cwd: path.resolve(__dirname, '../..') });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(line) as { loaded: string[] }).loaded;
  } catch {
    return [`<no output: ${r.stderr.trim()}>`];
  }
}

describe('dependencies load when needed', () => {
  it('importing safe-state and running a MemoryBackend job loads none of them', () => {
    const loaded = loadedAfter(`
        const lib = require(${JSON.stringify(LIB)});
      class Job { @lib.SafeState({ name: 'lazy-deps', backend: new lib.MemoryBackend() }) async run(xs: number[]) { for (const x of xs) void x; } }
      await new Job().run([1, 2, 3]);
    `);
    expect(loaded).toEqual([]);
  });

  it('a FileBackend job loads none of them (its lock is a mkdir of its own, not proper-lockfile)', () => {
    const dir = tempDir('safe-state-lazy-deps-');
    const loaded = loadedAfter(`
        const lib = require(${JSON.stringify(LIB)});
      await lib.safeState(async (xs: number[]) => { for (const x of xs) void x; }, { name: 'lazy-deps-file', stateDir: ${JSON.stringify(dir)} })([1, 2, 3]);
    `);
    expect(loaded).toEqual([]);
  });

  it('devalue loads with the first checkpoint() state', () => {
    const loaded = loadedAfter(`
        const lib = require(${JSON.stringify(LIB)});
      await lib.safeState(async (xs: number[]) => { for (const x of xs) lib.checkpoint({ at: x }); }, { name: 'lazy-deps-state', backend: new lib.MemoryBackend() })([1, 2]);
    `);
    expect(loaded).toEqual(['devalue']);
  });

  it('importing safe-state/otel and running a job while it listens loads none of them', () => {
    const loaded = loadedAfter(`
        const lib = require(${JSON.stringify(LIB)});
        const otel = require(${JSON.stringify(path.resolve(__dirname, '../../lib/otel/index'))});
        const noop = { setAttributes() {}, addEvent() {}, setStatus() {}, recordException() {}, end() {} };
        const api = { trace: { getTracer: () => ({ startSpan: () => noop }), setSpan: () => ({}) }, context: { active: () => ({}) },
          metrics: { getMeter: () => ({ createCounter: () => ({ add() {} }), createHistogram: () => ({ record() {} }) }) } };
        const uninstall = otel.instrument({ api, itemSpans: true });
      await lib.safeState(async (xs: number[]) => { for (const x of xs) void x; }, { name: 'lazy-deps-otel', backend: new lib.MemoryBackend() })([1, 2]);
        uninstall();
    `);
    expect(loaded).toEqual([]);
  });
});
