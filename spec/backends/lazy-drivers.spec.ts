import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TS_NODE } from '../helpers';

const LIB = path.resolve(__dirname, '../../lib/index');
const DRIVERS = ['ioredis', 'mysql2', 'pg', 'knex', 'better-sqlite3'];

/** Runs `body` in a fresh node process after a hook on Module._load records every module request. */
function inChild(body: string): { loaded: string[]; out: string; stderr: string } {
  const script = `
    const Module = require('node:module');
    const requested = new Set();
    const load = Module._load;
    Module._load = function (request, ...rest) { requested.add(request); return load.call(this, request, ...rest); };
    (async () => {
      ${body}
      const drivers = ${JSON.stringify(DRIVERS)};
      const inCache = Object.keys(require.cache).filter((f) => drivers.some((d) => f.includes('/node_modules/' + d + '/')));
      const asked = [...requested].filter((r) => drivers.some((d) => r === d || r.startsWith(d + '/')));
      console.log(JSON.stringify({ loaded: [...new Set([...asked, ...inCache.map((f) => f.split('/node_modules/')[1].split('/')[0])])] }));
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  const r = spawnSync(TS_NODE[0], [...TS_NODE.slice(1), '-e', script], { encoding: 'utf8', cwd: path.resolve(__dirname, '../..') });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let loaded: string[] = ['<no output>'];
  try {
    loaded = JSON.parse(line).loaded;
  } catch {
    /* reported below */
  }
  return { loaded, out: r.stdout, stderr: r.stderr };
}

describe('driver packages are optional', () => {
  it('importing safe-state (and using its File and Memory backends) loads no driver', () => {
    const r = inChild(`
      const lib = require(${JSON.stringify(LIB)});
      if (typeof lib.RedisBackend !== 'function' || typeof lib.SqlBackend !== 'function') throw new Error('exports missing');
      await lib.safeState(async (xs) => { for (const x of xs) void x; }, { name: 'lazy', backend: new lib.MemoryBackend() })([1, 2]);
    `);
    expect({ loaded: r.loaded, stderr: r.stderr }).toEqual({ loaded: [], stderr: '' });
  });

  it('the hook sees a driver that is loaded (the check can fail)', () => {
    const r = inChild(`
      const lib = require(${JSON.stringify(LIB)});
      const b = lib.RedisBackend.fromUrl('redis://127.0.0.1:1');
      await b.close();
    `);
    expect(r.loaded).toEqual(['ioredis']);
  });

  it('an SqlBackend on a connection you made loads nothing more than your driver', () => {
    const r = inChild(`
      const lib = require(${JSON.stringify(LIB)});
      const Database = require('better-sqlite3');
      const b = new lib.SqlBackend(new Database(':memory:'));
      await b.save('x', 'y\\n');
      if ((await b.load('x')) !== 'y\\n') throw new Error('bad load');
    `);
    expect(r.loaded).toEqual(['better-sqlite3']);
  });
});
