import * as fs from 'node:fs';
import { SafeState } from 'safe-state';
import { Nightly } from './job';

/** Runs the job over 0..TOTAL-1 (failing at FAIL_AT when set); reports its name and error. */
export async function main(): Promise<{ name: string; error: string | null }> {
  const job = new Nightly();
  let error: string | null = null;
  try {
    await job.run(Array.from({ length: Number(process.env.TOTAL) }, (_, i) => i));
  } catch (e) {
    error = (e as Error).message;
  }
  const result = { name: SafeState.of(job, 'run').jobName, error };
  if (process.env.RESULT) fs.writeFileSync(process.env.RESULT, JSON.stringify(result));
  return result;
}
