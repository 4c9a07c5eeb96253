// A plain application bundled by webpack (spec/outside/webpack-drivers.spec.ts): it opens SQLite
// through SqlBackend.fromUrl, whose driver is an optional peer that the application installs and
// declares external, and runs a job there. Prints one JSON line: the items seen, or the error.
const { SqlBackend, safeState } = require('safe-state');

async function main() {
  const backend = SqlBackend.fromUrl(`sqlite:${process.env.DB_FILE}`);
  const seen = [];
  const job = safeState(async (xs) => {
    for (const x of xs) seen.push(x);
  }, { name: 'webpack-drivers', backend });
  await job([1, 2, 3]);
  await backend.close();
  return seen;
}

main().then(
  (seen) => console.log(JSON.stringify({ seen, error: null })),
  (e) => {
    console.log(JSON.stringify({ seen: null, error: `${e.name}: ${e.message}` }));
    process.exitCode = 1;
  },
);
