import * as path from 'node:path';
import { interleave, measurement, range } from './measure';
import { ResumedJob } from './resumed-job';
import type { Measurement } from './report';

/** Items of the resumed input, and where the two resumes start. */
export const RESUME_SKIP = { items: 1_000_000, late: 999_990, early: 10 } as const;

/**
 * Skipping done items is O(1): the time from the job call to its first resumed item, resuming at
 * item 999,990 of 1,000,000 against resuming at item 10 of the same 1,000,000 (both in-process, a
 * FileBackend with durability 'process' so that fsync noise does not drown the comparison; the
 * input array is the same size in both, so its O(n) costs, if any, cancel out).
 * Target: ratio <= 1.2. A scan over the done items would cost milliseconds more at 999,990.
 */
export async function resumeSkipSection(root: string, rounds: number): Promise<Measurement> {
  const items = range(RESUME_SKIP.items);
  const late = new ResumedJob(path.join(root, 'resume-late'), 'bench-resume-at-999990', items, RESUME_SKIP.late, 'process');
  const early = new ResumedJob(path.join(root, 'resume-early'), 'bench-resume-at-10', items, RESUME_SKIP.early, 'process');
  await late.prepare();
  await early.prepare();
  const [atLate, atEarly] = await interleave(
    `resume at item ${RESUME_SKIP.late} vs ${RESUME_SKIP.early} of ${RESUME_SKIP.items}`,
    [
      { name: 'late', run: () => late.firstItemUs() },
      { name: 'early', run: () => early.firstItemUs() },
    ],
    rounds,
  );
  await late.close();
  await early.close();
  return measurement(
    'resume-skip-999990-vs-10',
    `Resume at item ${RESUME_SKIP.late.toLocaleString('en-US')} of 1M (File 'process')`,
    RESUME_SKIP.items,
    'resume at item 10 of 1M',
    atLate,
    atEarly,
    { metric: 'ratio', op: '<=', value: 1.2 },
    'resume',
  );
}
