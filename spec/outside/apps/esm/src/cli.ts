import { createRequire } from 'node:module';
import * as esm from 'safe-state';
import { Import } from './job.js';

const items = Array.from({ length: Number(process.env.TOTAL) }, (_, i) => i);
const failAt = process.env.FAIL_AT ? Number(process.env.FAIL_AT) : -1;
const job = new Import();
let error: string | null = null;
try {
  await job.run(items, failAt);
} catch (e) {
  error = (e as Error).message;
}
// `require('safe-state')` beside `import`: under node, one instance (outside a bundle only)
let oneInstance: boolean | null = null;
try {
  const cjs = createRequire(import.meta.url)('safe-state') as typeof esm;
  oneInstance = cjs.SafeState === esm.SafeState && cjs.MemoryBackend === esm.MemoryBackend;
} catch {
  oneInstance = null;
}
console.log(JSON.stringify({ name: esm.SafeState.of(job, 'run').jobName, error, oneInstance }));
