/** Partial blocks, in eighths of a cell: index n draws n/8 of a cell. */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const FULL = '█';
const EMPTY = '░';

/**
 * A text progress bar of exactly `width` cells (plus the brackets), drawn with block characters
 * in eighths of a cell: `[██████▍░░░░░░░░░]`. `fraction` is clamped to 0..1; `null` (an unknown
 * total) draws an empty bar with a `?` in the middle. Shared by the CLI's table and the live
 * progress line of verbose mode.
 * @internal
 */
export function progressBar(fraction: number | null, width: number): string {
  const w = Math.max(1, Math.floor(width));
  if (fraction === null || !Number.isFinite(fraction)) {
    const left = Math.floor((w - 1) / 2);
    return `[${EMPTY.repeat(left)}?${EMPTY.repeat(w - 1 - left)}]`;
  }
  const f = Math.min(1, Math.max(0, fraction));
  const eighths = Math.floor(f * w * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  const bar = FULL.repeat(full) + EIGHTHS[part];
  return `[${bar}${EMPTY.repeat(w - full - (part ? 1 : 0))}]`;
}

/**
 * A percentage for display: whole percents, except that anything short of done never shows as
 * `100%` and anything above zero never as `0%`.
 * @internal
 */
export function percentText(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return '?';
  const f = Math.min(1, Math.max(0, fraction));
  let p = Math.round(f * 100);
  if (p === 100 && f < 1) p = 99;
  if (p === 0 && f > 0) p = 1;
  return `${p}%`;
}
