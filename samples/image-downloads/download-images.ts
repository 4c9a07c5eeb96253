/**
 * Sample: a resumable image scraper.
 *
 * 500 simulated downloads, one small file each. The job method is decorated with `@SafeState`,
 * so when a download fails (or the process is killed) the next run of the same command skips the
 * images already downloaded and continues with the one that failed.
 *
 * Usage (from any working directory; the checkpoint goes to `./.safe_state`):
 *
 *   npx tsx samples/image-downloads/download-images.ts [--fail-at N] [--crash-after N] [--count N] [--out DIR] [--delay MS]
 *
 * - `--fail-at N` (or the environment variable `FAIL_AT=N`): the "network" times out at image N,
 *   with `ConnectionError: Read timed out`. Leave it out to let every download succeed.
 * - `--crash-after N`: the process kills itself with SIGKILL right after saving image N, before
 *   safe-state could record it (the worst moment): the rerun downloads image N once more.
 * - `--count N`: number of images (default 500).
 * - `--out DIR`: where the images go (default `./images`).
 * - `--delay MS`: simulated download time per image (default 1 ms).
 *
 * Output: the verbose lines of safe-state on stderr; on stdout one summary line,
 * `this run downloaded <n> images (items <ranges>)`. Every download is also appended to
 * `<out>/downloads.log` (one image index per line), so you can check which images were fetched, and
 * how often.
 * Exit code 0 when every image is downloaded, 1 when the run stopped on an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeState, SafeStateError } from '../../lib/index';

/** The error a flaky HTTP client throws (the name matters: it shows in the verbose output). */
export class ConnectionError extends Error {
  static {
    // on the prototype, so that the stack trace's first line also reads "ConnectionError: ..."
    this.prototype.name = 'ConnectionError';
  }
}

/** One image to fetch. */
export interface ImageRef {
  /** Position in the list (0-based). */
  id: number;
  /** Where it would be downloaded from. */
  url: string;
  /** File name in the output directory. */
  file: string;
}

/** The list of images to download: the same list on every run, as a real job would build it. */
export function imageList(count: number): ImageRef[] {
  return Array.from({ length: count }, (_, id) => {
    const n = String(id).padStart(4, '0');
    return { id, url: `https://images.example.com/catalog/${n}.svg`, file: `image-${n}.svg` };
  });
}

/** A pretend HTTP client: waits a little, returns a small SVG, and times out where it is told to. */
export class FakeNetwork {
  constructor(private readonly options: { failAt: number | null; delayMs: number }) {}

  async get(image: ImageRef): Promise<Buffer> {
    if (this.options.delayMs > 0) await sleep(this.options.delayMs);
    if (image.id === this.options.failAt) throw new ConnectionError('Read timed out');
    const hue = (image.id * 47) % 360;
    return Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">` +
        `<rect width="64" height="64" fill="hsl(${hue},70%,60%)"/>` +
        `<text x="32" y="38" font-size="14" text-anchor="middle">${image.id}</text></svg>\n`,
    );
  }
}

/** The job. Only the decorator is about safe-state: the loop is an ordinary loop. */
export class ImageScraper {
  /** Indices downloaded by this run (for the summary line). */
  readonly downloaded: number[] = [];

  constructor(
    private readonly outDir: string,
    private readonly network: FakeNetwork,
    /** Simulates `kill -9` right after this image is saved (before the loop asks for the next one). */
    private readonly crashAfter: number | null = null,
  ) {}

  // Default FileBackend in ./.safe_state; progress is saved after every image (saveEvery: 1) and
  // reaches the disk before it counts (durability: 'strict').
  @SafeState({ name: 'image-scrape', verbose: true, saveEvery: 1 })
  async run(images: ImageRef[]): Promise<number> {
    fs.mkdirSync(this.outDir, { recursive: true });
    for (const image of images) {
      const bytes = await this.network.get(image); // may throw ConnectionError
      this.store(image, bytes);
    }
    return this.downloaded.length;
  }

  private store(image: ImageRef, bytes: Buffer): void {
    fs.writeFileSync(path.join(this.outDir, image.file), bytes);
    fs.appendFileSync(path.join(this.outDir, 'downloads.log'), `${image.id}\n`);
    this.downloaded.push(image.id);
    if (image.id === this.crashAfter) process.kill(process.pid, 'SIGKILL');
  }
}

/** `0-9,12,14-20` style text of a sorted list of indices. */
export function ranges(sorted: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',') || 'none';
}

interface Args {
  failAt: number | null;
  crashAfter: number | null;
  count: number;
  out: string;
  delayMs: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { failAt: null, crashAfter: null, count: 500, out: 'images', delayMs: 1 };
  if (process.env.FAIL_AT) args.failAt = toInt('FAIL_AT', process.env.FAIL_AT);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    switch (flag) {
      case '--fail-at':
        args.failAt = toInt(flag, value());
        break;
      case '--crash-after':
        args.crashAfter = toInt(flag, value());
        break;
      case '--count':
        args.count = toInt(flag, value());
        break;
      case '--out':
        args.out = value();
        break;
      case '--delay':
        args.delayMs = toInt(flag, value());
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${argv[i]}`);
    }
  }
  return args;
}

function toInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) usage(`${name} must be a non-negative integer (got ${text})`);
  return n;
}

function usage(problem?: string): never {
  const text = 'usage: download-images [--fail-at N] [--crash-after N] [--count N] [--out DIR] [--delay MS]';
  if (problem) {
    console.error(`${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scraper = new ImageScraper(args.out, new FakeNetwork({ failAt: args.failAt, delayMs: args.delayMs }), args.crashAfter);
  try {
    await scraper.run(imageList(args.count));
    console.log(`this run downloaded ${scraper.downloaded.length} images (items ${ranges(scraper.downloaded)})`);
  } catch (error) {
    console.log(`this run downloaded ${scraper.downloaded.length} images (items ${ranges(scraper.downloaded)})`);
    const e = error as Error;
    // safe-state's own errors (input changed, job locked, …) explain themselves; a failed download
    // is resumed by running the same command again
    const hint = SafeStateError.is(e) ? '' : ' (run the same command again to resume)';
    console.error(`download stopped: ${e.name}: ${e.message}${hint}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
