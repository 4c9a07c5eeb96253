import { percentText, progressBar } from '../util/progress-bar';

/*
 * The live progress line of verbose mode on a terminal:
 *
 * ```
 * [safe-state] image-scrape [█████████▎░░░░░░░░░░]  47% 233/500  118/s  ETA 0:02
 * ```
 *
 * redrawn in place (`\r`, then erase to the end of the line) a few times per second by an
 * unref()ed timer that reads the job's done counter: nothing is added to the per-item path. The
 * plain verbose lines still appear as they are; the live line is erased before each of them and
 * drawn again at the next tick. When stderr is not a terminal there is no live line at all.
 */

/** Redraws per second: one every this many ms. @internal */
export const LIVE_INTERVAL_MS = 250;
/** Rates are measured over this much recent time. @internal */
export const RATE_WINDOW_MS = 10_000;

const CLEAR = '\r\x1b[K';

/** What the live line shows. @internal */
export interface LiveLineInput {
  name: string;
  done: number;
  total: number | null;
  /** items per second, or null before there is a measure */
  rate: number | null;
  /** estimated ms to the end, or null when unknown */
  etaMs: number | null;
  /** terminal width */
  columns: number;
}

/** `0:07`, `12:05`, `1:02:03`, `2d 03h`. @internal */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}:${pad(s % 60)}`;
  if (s < 86400) return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor(s / 3600) % 24)}h`;
}

/** `118/s`, `2.5/s`, `12/min`, `3/h`. @internal */
export function formatRate(perSec: number): string {
  if (perSec >= 10) return `${Math.round(perSec)}/s`;
  if (perSec >= 1) return `${perSec.toFixed(1)}/s`;
  if (perSec * 60 >= 1) return `${Math.round(perSec * 60)}/min`;
  return `${Math.max(1, Math.round(perSec * 3600))}/h`;
}

function cut(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return max <= 1 ? chars.slice(0, Math.max(0, max)).join('') : chars.slice(0, max - 1).join('') + '…';
}

/**
 * The text of the live line (without `\r` and the erase sequence), at most `columns - 1`
 * characters so that the terminal never wraps it. On a narrow terminal the bar narrows, then goes,
 * then the rate, then the ETA, keeping at least 12 characters of the job name; what is still too
 * long is cut.
 * @internal
 */
export function renderLiveLine(o: LiveLineInput): string {
  const fraction = o.total === null ? null : o.total === 0 ? 1 : o.done / o.total;
  const counts = o.total === null ? `${o.done} done` : `${percentText(fraction).padStart(4)} ${o.done}/${o.total}`;
  const rate = o.rate !== null && o.rate > 0 ? `  ${formatRate(o.rate)}` : '';
  const eta = o.total !== null ? `  ETA ${o.etaMs !== null ? formatDuration(o.etaMs) : '--:--'}` : '';
  const max = Math.max(20, o.columns) - 1;
  const head = '[safe-state] ';
  const minName = Math.min([...o.name].length, 12);
  const bars = o.total === null ? [0] : [20, 15, 10, 0];
  const layouts: [number, string][] = [...bars.map((b): [number, string] => [b, counts + rate + eta]), [0, counts + eta], [0, counts]];
  for (const [barWidth, tail] of layouts) {
    const bar = barWidth ? ` ${progressBar(fraction, barWidth)}` : '';
    const room = max - head.length - bar.length - 1 - tail.length;
    if (room >= minName) return `${head}${cut(o.name, room)}${bar} ${tail}`;
  }
  return cut(`${head}${o.name} ${counts}`, max);
}

/** Items per second over the recent past, from (time, done) samples. @internal */
export class RateMeter {
  private readonly samples: { t: number; done: number }[] = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  /** Records the done count at time `t` (ms). */
  add(t: number, done: number): void {
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - this.samples[1].t >= this.windowMs) this.samples.shift();
  }

  /** Items per second, or null until two samples at least 200 ms apart exist. */
  rate(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || last.t - first.t < 200) return null;
    return (last.done - first.done) / ((last.t - first.t) / 1000);
  }
}

/** A terminal stream, as far as the live line needs it. @internal */
export interface LiveStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

interface Source {
  name: string;
  read: () => { done: number; total: number | null };
  meter: RateMeter;
}

/**
 * The one live line of a stream. Several jobs running at once in a process share it: it shows the
 * job that started last, and the previous one again when that ends.
 * @internal
 */
export class StatusLine {
  private readonly sources: Source[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private shown = false;

  constructor(
    private readonly stream: LiveStream,
    private readonly intervalMs = LIVE_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows a job's progress until the returned function is called. */
  add(name: string, read: Source['read']): () => void {
    const source: Source = { name, read, meter: new RateMeter() };
    source.meter.add(this.now(), read().done);
    this.sources.push(source);
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), this.intervalMs);
      this.timer.unref?.();
    }
    return () => {
      const i = this.sources.indexOf(source);
      if (i < 0) return;
      this.sources.splice(i, 1);
      this.clear();
      if (this.sources.length === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** Erases the line if it is drawn (before another line is written to the stream). */
  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.stream.write(CLEAR);
  }

  /** Redraws the line of the latest job (the timer calls it). */
  draw(): void {
    const source = this.sources[this.sources.length - 1];
    if (!source) return;
    const { done, total } = source.read();
    const t = this.now();
    source.meter.add(t, done);
    const rate = source.meter.rate();
    const etaMs = total !== null && rate !== null && rate > 0 ? (Math.max(0, total - done) / rate) * 1000 : null;
    const text = renderLiveLine({ name: source.name, done, total, rate, etaMs, columns: this.stream.columns || 80 });
    this.stream.write(`\r${text}\x1b[K`);
    this.shown = true;
  }
}

let stderrLine: StatusLine | null = null;

/** Whether verbose output on stderr gets a live line: stderr is a terminal that can redraw. @internal */
export function stderrIsLive(): boolean {
  return process.stderr.isTTY === true && process.env.TERM !== 'dumb';
}

/** The live line of process.stderr (created on first use). @internal */
export function stderrStatusLine(): StatusLine {
  return (stderrLine ??= new StatusLine(process.stderr));
}

/** Erases the live line of stderr, if one is drawn: call before writing a line to stderr. @internal */
export function clearStderrLine(): void {
  stderrLine?.clear();
}
