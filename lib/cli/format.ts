import * as path from 'node:path';

/** A path for messages: relative to the working directory when inside it. @internal */
export function displayPath(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `2025-06-01 10:11:12`, in local time (the `TZ` environment variable applies). @internal */
export function formatTime(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** `just now`, `42s ago`, `5m ago`, `3h ago`, `2d ago`; `in the future` for clock skew. @internal */
export function formatAgo(d: Date, now: Date): string {
  const s = Math.round((now.getTime() - d.getTime()) / 1000);
  if (s < -1) return 'in the future';
  if (s < 2) return 'just now';
  if (s < 120) return `${s}s ago`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h ago`;
  return `${Math.round(h / 24)}d ago`;
}

/** Cuts text to `max` characters, ending in `…` when cut; newlines become spaces. @internal */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  if (flat.length <= max) return flat;
  return max <= 1 ? '…'.slice(0, max) : flat.slice(0, max - 1) + '…';
}
