import { main } from '../src/main';

test('the job runs under the test runner', async () => {
  await main();
});
