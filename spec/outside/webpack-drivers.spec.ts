import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNTIMES, ROOT, lastJson, linkPackages, run, runOk, scratchApp, toolBin } from './scratch';

/**
 * An application bundled by webpack (target node) that opens a database through `fromUrl`: the
 * driver, an optional peer, is installed by the application and declared external, as the
 * toolchain page says. safe-state loads drivers by computed name, which webpack turns into an empty
 * module context; the driver must still be found, from the application's directory. Both builds
 * of the package a webpack user can get: the ES module build (webpack's default, the `module`
 * condition) and the CommonJS one (`conditionNames: ['require', 'node']`, whose Redis and SQL
 * backends load at first use from `index-lazy.js`).
 */
const APP = fs.readFileSync(path.join(__dirname, 'apps', 'webpack-drivers', 'app.js'), 'utf8');

const config = (out: string, conditions: string[] | null) => `const path = require('node:path');
module.exports = {
  mode: 'production',
  target: 'node',
  entry: './app.js',
  optimization: { minimize: false },
  externals: { 'better-sqlite3': 'commonjs better-sqlite3', ioredis: 'commonjs ioredis', pg: 'commonjs pg', mysql2: 'commonjs mysql2', knex: 'commonjs knex' },
  ${conditions ? `resolve: { conditionNames: ${JSON.stringify(conditions)} },` : ''}
  output: { path: path.resolve(__dirname, ${JSON.stringify(out)}), filename: 'app.js' },
};
`;

describe('a webpack bundle opening SQLite through SqlBackend.fromUrl', () => {
  let app = '';

  beforeAll(() => {
    app = scratchApp('webpack-drivers', {
      'app.js': APP,
      'webpack.esm.config.js': config('wp-esm', null),
      'webpack.cjs.config.js': config('wp-cjs', ['require', 'node']),
    });
    linkPackages(app, path.join(ROOT, 'node_modules'), ['better-sqlite3']);
    for (const c of ['esm', 'cjs']) runOk([...toolBin('webpack'), '--config', `webpack.${c}.config.js`], app);
  }, 300_000);

  it.each([
    ['the ES module build (default conditions)', 'wp-esm'],
    ['the CommonJS build (require, node)', 'wp-cjs'],
  ])('finds the driver the application installed: %s', (_what, out) => {
    const r = run([RUNTIMES.node20, `${out}/app.js`], app, { DB_FILE: path.join(app, `${out}.db`) });
    expect(lastJson<{ seen: number[] | null; error: string | null }>(r.stdout)).toEqual({ seen: [1, 2, 3], error: null });
    expect(r.code).toBe(0);
  });
});
