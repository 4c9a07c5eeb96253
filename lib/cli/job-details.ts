import type { IndexProgress } from '../progress/index-progress';
import type { JobReport } from './read-job';

/** The done indices as ranges text, `0-232,240,245-250` (`''` when none). @internal */
export function doneRangesText(progress: IndexProgress): string {
  const { w, s } = progress.toJSON();
  const low = w === 0 ? '' : w === 1 ? '0' : `0-${w - 1}`;
  return low && s ? `${low},${s}` : low || s;
}

/**
 * The item a rerun starts with: the first index that is not done, or `null` when every item is
 * done or the job resumes by key (its items have no fixed position).
 * @internal
 */
export function firstUndone(r: JobReport): number | null {
  if (r.keyed) return null;
  const next = r.doc.progress.nextUndone(0);
  return r.total !== null && next >= r.total ? null : next;
}
