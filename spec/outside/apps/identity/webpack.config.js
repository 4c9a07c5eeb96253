const path = require('node:path');

/** webpack over tsc's output, with a source map; drivers stay external (optional peers). */
module.exports = {
  mode: 'production',
  target: 'node',
  entry: './dist/cli.js',
  devtool: 'source-map',
  // production minification drops class names, from which default job names are made
  optimization: { minimize: false },
  output: { path: path.resolve(__dirname, 'wp'), filename: 'app.js' },
  externals: { ioredis: 'commonjs ioredis', pg: 'commonjs pg', mysql2: 'commonjs mysql2', knex: 'commonjs knex', 'better-sqlite3': 'commonjs better-sqlite3' },
};
