import { IndexProgress } from '../progress/index-progress';
import { KeyProgress } from '../progress/key-progress';
import type { JobReport } from './read-job';
import type { CheckpointDoc } from '../state/checkpoint-doc';
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
  const next = progressOf(r.doc).progress.nextUndone(0);
  return r.total !== null && next >= r.total ? null : next;
}

/**
 * The progress of a checkpoint as the next run sees it: items that failed with
 * `onItemError: 'skip'` are not done (they are marked done only while the call that failed them
 * runs). The checkpoint's own record is left as it is.
 * @internal
 */
export function progressOf(doc: CheckpointDoc): { progress: IndexProgress; keys: KeyProgress | null } {
  if (!doc.failed) return { progress: doc.progress, keys: doc.keys };
  const progress = doc.progress.clone();
  const keys = doc.keys ? doc.keys.clone() : null;
  for (const [a, b] of doc.failed.ranges) progress.markUndone(a, b);
  if (doc.failed.keys) for (const k of doc.failed.keys) keys?.markUndone(k);
  return { progress, keys };
}

/** The failed items for `show`: ranges (or the first `max` keys) and a count, terminal-safe. @internal */
export function failedItemsText(doc: CheckpointDoc, max: number): string {
  const f = doc.failed;
  if (!f || f.count === 0) return 'none';
  const list = f.keys
    ? f.keys.slice(0, max).map((k) => JSON.stringify(k)).join(', ') + (f.keys.length > max ? `, … (${f.keys.length - max} more)` : '')
    : f.ranges.slice(0, max).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',') + (f.ranges.length > max ? ',…' : '');
  return terminalText(`${f.count}: ${list}`);
}
