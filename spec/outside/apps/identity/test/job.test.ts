import { main } from '../src/main';

test('the job runs under jest', async () => {
  await main();
});
