import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { safeState, FileBackend, MemoryBackend, type Durability, type StateBackend } from '../lib/index';

/**
 * A job whose checkpoint holds exactly `done` completed items of an input of `total` items
 * (0..total-1), restored before every measured run, so that every run starts from the same
 * checkpoint: the same watermark, the same journal length, the same distance to the next
 * compaction. On a FileBackend (`dir` given) or a MemoryBackend (`dir` null: the engine's own work
 * without I/O).
 *
 * The checkpoint is made by the engine itself (no hand-written file): a run with a huge
 * `saveEvery` walks the first `done` items, which costs no save, and throws at item `done`, which
 * saves the whole progress once (the failure save).
 */
export class ResumedJob {
  private readonly backend: StateBackend;
  private readonly file: string | null;
  /** the checkpoint file's copy (FileBackend) */
  private readonly snapshot: string | null;
  /** the checkpoint's text (MemoryBackend) */
  private memorySnapshot: string | null = null;
  private prepared = false;

  /**
   * @param dir - directory of the job's FileBackend (its own, created), or null for a MemoryBackend
   * @param name - job name
   * @param items - the input, 0..total-1 (shared, never changed)
   * @param done - completed items in the checkpoint
   * @param durability - durability of the measured runs
   */
  constructor(
    dir: string | null,
    readonly name: string,
    private readonly items: readonly number[],
    readonly done: number,
    private readonly durability: Durability,
  ) {
    if (done >= items.length) throw new Error(`a job resumed at ${done} needs more than ${items.length} items`);
    if (dir === null) {
      this.backend = new MemoryBackend();
      this.file = this.snapshot = null;
    } else {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.backend = new FileBackend({ dir });
      this.file = this.backend.location(name);
      this.snapshot = path.join(dir, 'snapshot.bin');
    }
  }

  /** Writes the checkpoint (once) and keeps a copy of it. */
  async prepare(): Promise<void> {
    if (this.prepared) return;
    const done = this.done;
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) if (x === done) throw new Stop();
      },
      { name: this.name, backend: this.backend, saveEvery: 2 ** 30, durability: 'process' },
    );
    await expectStop(job(this.items as number[]));
    if (this.file && this.snapshot) fs.copyFileSync(this.file, this.snapshot);
    else this.memorySnapshot = await this.backend.load(this.name);
    const cp = await job.peekCheckpoint();
    if (cp?.completedIndices.size !== done) throw new Error(`prepared checkpoint of ${this.name} holds ${cp?.completedIndices.size} done items, not ${done}`);
    this.prepared = true;
  }

  private restore(): void {
    if (this.file && this.snapshot) fs.copyFileSync(this.snapshot, this.file);
    else this.backend.saveSync!(this.name, this.memorySnapshot!);
  }

  /**
   * One run of {@link alternatingSaves}: resumes the job at saveEvery 1, waits at `barrier` until
   * every job of the group has its first item, then completes `count` items, each with its save,
   * awaiting `turn()` before each so the group's jobs take turns item by item. Answers the µs
   * spent inside the iterator's `next()` calls that completed an item (the save, the progress
   * mark, handing out the next item), summed, per item.
   */
  async savesUs(count: number, barrier: () => Promise<void>): Promise<number> {
    await this.prepare();
    this.restore();
    const expected = this.done;
    let total = 0;
    let sum = 0;
    const job = safeState(
      async (xs: number[]) => {
        const it = xs[Symbol.iterator]();
        let r = it.next();
        if (r.done || r.value !== expected) throw new Error(`resumed at item ${String(r.value)}, expected ${expected}`);
        await barrier();
        for (let n = 0; n < count; n++) {
          sum += r.value as number;
          await null; // the other jobs' turn
          const t0 = performance.now();
          r = it.next(); // completes the item in flight (one save) and hands out the next
          total += performance.now() - t0;
          if (r.done) throw new Error('the input ended before the measured items');
        }
        throw new Stop(); // the item in flight stays undone
      },
      { name: this.name, backend: this.backend, saveEvery: 1, durability: this.durability },
    );
    await expectStop(job(this.items as number[]));
    if (sum < 0) throw new Error('unreachable'); // keeps the loop's work observable
    return (total * 1000) / count;
  }

  /**
   * Resumes the job and answers µs from the call to the first resumed item: lock, load, decode,
   * input check, the run's first save, and finding the first undone item.
   */
  async firstItemUs(): Promise<number> {
    await this.prepare();
    this.restore();
    const expected = this.done;
    let firstAt = 0;
    const job = safeState(
      async (xs: number[]) => {
        for (const x of xs) {
          firstAt = performance.now();
          if (x !== expected) throw new Error(`resumed at item ${x}, expected ${expected}`);
          throw new Stop();
        }
      },
      { name: this.name, backend: this.backend, saveEvery: 1, durability: this.durability },
    );
    collectGarbage(); // the previous run's garbage (a copy of the input) is not this run's cost
    const t0 = performance.now();
    await expectStop(job(this.items as number[]));
    return (firstAt - t0) * 1000;
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

/**
 * Runs the jobs' {@link ResumedJob.savesUs} at once, taking turns item by item (after a barrier
 * that waits for all of them to reach their first item), so that every job's saves meet the same
 * disk and CPU weather; answers µs per save of each job. Comparing the jobs of one call is far
 * less noisy than comparing runs one after the other on a shared machine.
 */
export async function alternatingSaves(jobs: ResumedJob[], count: number): Promise<number[]> {
  let waiting = jobs.length;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const barrier = () => {
    if (--waiting === 0) open();
    return opened;
  };
  return Promise.all(jobs.map((j) => j.savesUs(count, barrier)));
}

let gc: (() => void) | null | undefined;

/** A full garbage collection, between measured runs (V8's gc(), exposed on demand). */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/** Ends a benchmark run on purpose (the engine saves, records the failure and re-throws it). */
export class Stop extends Error {
  override name = 'Stop';
}

/** Awaits a job run that must end with {@link Stop}. */
export async function expectStop(run: Promise<unknown>): Promise<void> {
  try {
    await run;
  } catch (e) {
    if (e instanceof Stop) return;
    throw e;
  }
  throw new Error('a benchmark job completed instead of stopping');
}
