import * as fs from 'node:fs';
import { SafeState } from 'safe-state';
import { Backfill, backfill } from './job';
import { Mailer as MailerA } from './a/mailer';
import { Mailer as MailerB } from './b/mailer';

/** What one run under one runner reports (written to $RESULT as JSON). */
export interface Result {
  name: string;
  fnName: string;
  error: string | null;
  mail: string[];
}

/** Runs the job over 0..TOTAL-1, failing at FAIL_AT (when set), then the two mailers. */
export async function main(): Promise<Result> {
  const items = Array.from({ length: Number(process.env.TOTAL) }, (_, i) => i);
  const failAt = process.env.FAIL_AT ? Number(process.env.FAIL_AT) : -1;
  const job = new Backfill();
  let error: string | null = null;
  try {
    await job.run(items, failAt);
  } catch (e) {
    error = (e as Error).message;
  }
  await backfill([1, 2, 3]);
  const mail = [await new MailerA().send('ann'), await new MailerB().send('ann')];
  const result: Result = { name: SafeState.of(job, 'run').jobName, fnName: backfill.jobName, error, mail };
  if (process.env.RESULT) fs.writeFileSync(process.env.RESULT, JSON.stringify(result));
  return result;
}
