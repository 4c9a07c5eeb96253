import { terminalText } from '../util/terminal-text';

/** One column of a text table. @internal */
export interface Column {
  /** header text */
  title: string;
  /** right-align (numbers) */
  right?: boolean;
  /** the column may be cut to make the table fit (the last, free-text column) */
  shrink?: boolean;
}

/** Display width of text: what the terminal shows (one cell per code point here). */
function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function cut(text: string, max: number): string {
  if (width(text) <= max) return text;
  const chars = [...text];
  return max <= 1 ? chars.slice(0, max).join('') : chars.slice(0, max - 1).join('') + '…';
}

/**
 * Renders rows under a header, columns separated by two spaces, numbers right-aligned. With
 * `maxWidth` (a terminal's width), the columns marked `shrink` are cut (ending in `…`) so lines
 * fit; without it nothing is cut. Lines carry no trailing spaces. Every cell is made terminal-safe
 * first (control characters, newlines and bidi controls become visible escapes, see
 * util/terminal-text.ts), so one row is one line and the widths are those of what is printed.
 * @internal
 */
export function renderTable(columns: readonly Column[], rawRows: readonly (readonly string[])[], maxWidth?: number): string {
  const rows = rawRows.map((r) => r.map((cell) => terminalText(cell ?? '')));
  const widths = columns.map((c, i) => Math.max(width(c.title), ...rows.map((r) => width(r[i] ?? ''))));
  if (maxWidth !== undefined) {
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    for (let i = columns.length - 1; i >= 0 && total() > maxWidth; i--) {
      if (!columns[i].shrink) continue;
      widths[i] = Math.max(width(columns[i].title), widths[i] - (total() - maxWidth), 8);
    }
  }
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const text = cut(cell ?? '', widths[i]);
        const fill = ' '.repeat(widths[i] - width(text));
        return columns[i].right ? fill + text : text + fill;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join('\n') + '\n';
}
