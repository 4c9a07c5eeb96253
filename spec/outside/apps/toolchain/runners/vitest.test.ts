import { test } from 'vitest';
import { main } from '../src/main';

// a generous timeout: the first run of a job includes loading the package on a possibly loaded machine
test('the job runs under vitest', async () => {
  await main();
}, 120_000);
