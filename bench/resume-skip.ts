import { measurement, progress, range } from './measure';
import { median } from './stats';
import { ResumedJob } from './resumed-job';
import type { Measurement } from './report';

/** Resumes of each job per round (a round's sample is their median). */
const PER_ROUND = 5;

/** Items of the resumed input, and where the two resumes start. */
export const RESUME_SKIP = { items: 1_000_000, late: 999_990, early: 10 } as const;

/**
 * Skipping done items is O(1): the time from the job call to its first resumed item, resuming at
 * item 999,990 of 1,000,000 against resuming at item 10 of the same 1,000,000, in-process, on a
 * MemoryBackend: the engine's own work (load and decode the checkpoint, check the input, wrap it,
 * skip to the first undone item) without the file system's noise, which does not depend on the
 * count of done items anyway (the checkpoint's size does not). The input array is the same in
 * both, so its O(n) costs (the engine copies the array it hands to the body) cancel out. Each
 * round's sample is the median of 5 resumes of each, alternating; a full GC runs before each.
 * Target: ratio <= 1.2. A scan over the done items would cost milliseconds more at 999,990.
 */
export async function resumeSkipSection(root: string, rounds: number): Promise<Measurement> {
  const items = range(RESUME_SKIP.items);
  const late = new ResumedJob(null, 'bench-resume-at-999990', items, RESUME_SKIP.late, 'process');
  const early = new ResumedJob(null, 'bench-resume-at-10', items, RESUME_SKIP.early, 'process');
  await late.prepare();
  await early.prepare();
  await late.firstItemUs(); // warm-up
  await early.firstItemUs();
  const atLate: number[] = [];
  const atEarly: number[] = [];
  for (let r = 0; r < rounds; r++) {
    progress(`resume at item ${RESUME_SKIP.late} vs ${RESUME_SKIP.early} of ${RESUME_SKIP.items}: round ${r + 1}/${rounds}`);
    // a round: PER_ROUND resumes of each, alternating (which goes first alternates between rounds); its medians
    const l: number[] = [];
    const e: number[] = [];
    for (let k = 0; k < PER_ROUND; k++) {
      if ((r + k) % 2 === 0) {
        l.push(await late.firstItemUs());
        e.push(await early.firstItemUs());
      } else {
        e.push(await early.firstItemUs());
        l.push(await late.firstItemUs());
      }
    }
    atLate.push(median(l));
    atEarly.push(median(e));
  }
  await late.close();
  await early.close();
  return measurement(
    'resume-skip-999990-vs-10',
    `Resume at item ${RESUME_SKIP.late.toLocaleString('en-US')} of 1M (Memory)`,
    RESUME_SKIP.items,
    'resume at item 10 of 1M',
    atLate,
    atEarly,
    { metric: 'ratio', op: '<=', value: 1.2 },
    'resume',
  );
}
