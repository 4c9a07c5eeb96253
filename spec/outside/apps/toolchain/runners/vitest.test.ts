import { test } from 'vitest';
import { main } from '../src/main';

test('the job runs under vitest', async () => {
  await main();
});
