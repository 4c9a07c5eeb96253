import type { IndexProgress } from '../progress/index-progress';
import type { KeyProgress } from '../progress/key-progress';
import type { JobReport } from './read-job';
import { terminalText } from '../util/terminal-text';

/**
 * The done indices as ranges text, `0-232,240,245-250` (`''` when none): as long as the number of
 * ranges, never as the number of items.
 * @internal
 */
export function doneRangesText(progress: IndexProgress): string {
  const { w, s } = progress.toJSON();
  const low = w === 0 ? '' : w === 1 ? '0' : `0-${w - 1}`;
  return low && s ? `${low},${s}` : low || s;
}

/** The done integer keys as ranges text (`''` when none). @internal */
export function doneKeyRangesText(keys: KeyProgress): string {
  return keys.toSnapshot().kn;
}

/**
 * The first `max` done keys for `show` (other keys first, then integer keys ascending, written as
 * ranges), terminal-safe, with a count of the rest: never expands a range.
 * @internal
 */
export function doneKeysText(keys: KeyProgress, max: number): string {
  if (keys.size === 0) return 'none';
  const shown: string[] = [];
  let count = 0;
  for (const k of keys.otherKeys()) {
    if (shown.length >= max) break;
    shown.push(JSON.stringify(k));
    count++;
  }
  keys.forEachIntRange((a, b) => {
    if (shown.length >= max) return;
    shown.push(a === b ? `${a}` : `${a}-${b}`);
    count += b - a + 1;
  });
  const more = keys.size - count;
  return terminalText(shown.join(', ')) + (more > 0 ? `, … (${more} more)` : '');
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
