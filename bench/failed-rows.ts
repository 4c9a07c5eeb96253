/**
 * A section of the benchmark that fails (a server that goes away mid-run, a driver error) becomes
 * a row that says so, and the run goes on: the other sections are measured and the JSON report is
 * still written. A failed row counts as a missed target.
 */
import { progress } from './measure';
import type { SkippedRow } from './report';

/** A row whose measurement started and failed, and why (in the table as `FAILED: <reason>`). */
export type FailedRow = SkippedRow;

/** The first line of an error's message. */
export function reasonOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/**
 * Runs one section: its result, or `null` after adding a failed row (`id`, `label`) to `failed`
 * when it throws or rejects.
 */
export async function guarded<T>(id: string, label: string, failed: FailedRow[], run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (e) {
    const reason = reasonOf(e);
    progress(`${label}: FAILED (${reason}); the run goes on`);
    failed.push({ id, label, reason });
    return null;
  }
}
