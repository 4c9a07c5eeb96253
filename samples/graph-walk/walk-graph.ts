/**
 * Sample: a resumable graph walk in manual mode (`autoIterate: false`).
 *
 * A crawler walks the pages of a (simulated) site breadth-first, from page 0, following links.
 * There is no list of items to iterate: the work is a queue that grows as pages are found. So
 * nothing is tracked automatically; the job saves its own state (the queue, the pages seen, a
 * count) with `checkpoint(state)` every few pages, and a rerun picks it up with `resumeState()`.
 *
 * Usage (from any working directory; `visits.log` and `.safe_state/` go there):
 *
 *   npx tsx samples/graph-walk/walk-graph.ts [--pages N] [--checkpoint-every K] [--fail-at PAGE] [--crash-after V] [--delay MS]
 *
 * - `--pages N`: pages of the site (default 400); page i links to a few others (see `linksOf`).
 * - `--checkpoint-every K`: save the walk's state after every K visits (default 10).
 * - `--fail-at PAGE`: visiting this page throws (a server error); the job saves its state on the
 *   way out, with the page back in the queue, so the rerun retries just that page.
 * - `--crash-after V`: the process kills itself (SIGKILL) right after the V-th visit of this run.
 * - `--delay MS`: time per visit (default 0).
 *
 * Output: verbose lines on stderr; on stdout `this run: <v> visits; <n> pages reached` (or how far
 * it got). Every visit is appended to `visits.log`. Exit code 0 when the walk is complete, 1 when
 * the run stopped on an error.
 */
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeState, SafeStateError, checkpoint, resumeState } from '../../lib/index';

/** The links on page `page` of a site with `pages` pages (a deterministic, irregular graph). */
export function linksOf(page: number, pages: number): number[] {
  return [...new Set([(page * 7 + 1) % pages, (page * 13 + 5) % pages, (page * page + 3) % pages])].filter((p) => p !== page);
}

/** The breadth-first visiting order from page `start`: what one uninterrupted walk does. */
export function walkOrder(start: number, pages: number): number[] {
  const seen = new Set([start]);
  const queue = [start];
  const order: number[] = [];
  while (queue.length) {
    const page = queue.shift()!;
    order.push(page);
    for (const next of linksOf(page, pages)) if (!seen.has(next)) seen.add(next), queue.push(next);
  }
  return order;
}

/** The state of a walk: everything a rerun needs to go on. */
export interface WalkState {
  /** pages found but not visited yet, in visiting order */
  queue: number[];
  /** pages found so far (visited or queued) */
  seen: Set<number>;
  /** pages visited so far */
  visited: number;
}

/** A server error while fetching a page. */
export class PageError extends Error {
  static {
    this.prototype.name = 'PageError';
  }
}

/** The job. */
export class Crawler {
  visitsThisRun = 0;

  constructor(private readonly options: { pages: number; every: number; failAt: number | null; crashAfter: number | null; delayMs: number }) {}

  @SafeState({ name: 'graph-walk', autoIterate: false, verbose: true })
  async run(start: number): Promise<number> {
    const s = resumeState<WalkState>() ?? { queue: [start], seen: new Set([start]), visited: 0 };
    while (s.queue.length > 0) {
      const page = s.queue.shift()!;
      try {
        await this.visit(page);
      } catch (error) {
        s.queue.unshift(page); // not visited: first in line next time
        await checkpoint(s); // save on the way out, so only this page is retried
        throw error;
      }
      for (const next of linksOf(page, this.options.pages)) {
        if (!s.seen.has(next)) {
          s.seen.add(next);
          s.queue.push(next);
        }
      }
      s.visited++;
      if (this.visitsThisRun === this.options.crashAfter) process.kill(process.pid, 'SIGKILL');
      if (s.visited % this.options.every === 0) await checkpoint(s); // persisted now
    }
    return s.seen.size;
  }

  private async visit(page: number): Promise<void> {
    if (this.options.delayMs > 0) await sleep(this.options.delayMs);
    if (page === this.options.failAt) throw new PageError(`page ${page}: 502 Bad Gateway`);
    fs.appendFileSync('visits.log', `${page}\n`);
    this.visitsThisRun++;
  }
}

function usage(problem?: string): never {
  const text = 'usage: walk-graph [--pages N] [--checkpoint-every K] [--fail-at PAGE] [--crash-after V] [--delay MS]';
  if (problem) {
    console.error(`${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

async function main(): Promise<void> {
  const o = { pages: 400, every: 10, failAt: null as number | null, crashAfter: null as number | null, delayMs: 0 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const int = () => {
      const n = Number(argv[++i]);
      return Number.isSafeInteger(n) && n >= 0 ? n : usage(`${flag} needs a non-negative integer`);
    };
    if (flag === '--pages') o.pages = int();
    else if (flag === '--checkpoint-every') o.every = Math.max(1, int());
    else if (flag === '--fail-at') o.failAt = int();
    else if (flag === '--crash-after') o.crashAfter = int();
    else if (flag === '--delay') o.delayMs = int();
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument ${flag}`);
  }
  const crawler = new Crawler(o);
  try {
    const reached = await crawler.run(0);
    console.log(`this run: ${crawler.visitsThisRun} visits; ${reached} pages reached`);
  } catch (error) {
    console.log(`this run: ${crawler.visitsThisRun} visits`);
    const e = error as Error;
    console.error(`stopped: ${e.name}: ${e.message}${SafeStateError.is(e) ? '' : ' (run the same command again to resume)'}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
