import { main } from '../src/main';

// a generous timeout: the first run of a job includes loading the package on a possibly loaded machine
test('the job runs under the test runner', async () => {
  await main();
}, 120_000);
