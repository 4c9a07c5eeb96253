import { SafeState } from 'safe-state';
import { Sweep } from './job';

/** Runs the job over 0..TOTAL-1 and prints its name, the error it ended with, and the runtime. */
async function main(): Promise<void> {
  const job = new Sweep();
  let error: string | null = null;
  try {
    await job.run(Array.from({ length: Number(process.env.TOTAL) }, (_, i) => i));
  } catch (e) {
    error = (e as Error).message;
  }
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  const runtime = g.Bun ? `bun ${g.Bun.version}` : g.Deno ? `deno ${g.Deno.version.deno}` : `node ${process.version}`;
  console.log(JSON.stringify({ name: SafeState.of(job, 'run').jobName, error, runtime }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
