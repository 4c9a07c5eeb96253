import { setImmediate as nextTurn } from 'node:timers';
import type { ClaimedChunk, SharedChunkStore } from '../backends/shared-chunks';
import type { SafeStateLogger } from './options';
import { phaseHook } from '../util/test-phase';

/**
 * How often a worker with nothing to claim asks again: soon at first (the last chunks of a job
 * usually complete within moments, and the job's end should be seen at once), then less and less
 * often, up to every 250 ms (ms).
 */
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 250;

/** A chunk this worker holds. */
interface Held {
  readonly c: ClaimedChunk;
  /** next offset to hand out */
  next: number;
  /** items handed out and not finished (done or abandoned) */
  outstanding: number;
  /** the lease went to another worker (or was given back): nothing more is written for it */
  lost: boolean;
  /** offsets done and not written yet */
  pending: number[];
  /** the mark write that pending offsets join, while it has not started */
  open: Promise<void> | null;
  /** the last mark write (writes of a chunk run one at a time) */
  last: Promise<void>;
}

/** An item handed to the body. @internal */
export interface SharedItem {
  index: number;
  item: unknown;
  /** the chunk it belongs to */
  readonly held: object;
}

/**
 * The items of a shared job as one worker sees them: it claims a chunk, hands out the chunk's
 * items that are not done, writes their completions (fenced by the lease, coalesced per chunk:
 * completions that arrive while a write runs go together in the next one), completes the chunk
 * once every item of it is done, and claims the next. When every chunk left is leased, it waits
 * for the earliest lease expiry; when every chunk is done, it ends.
 *
 * Leases are renewed by every mark write and by a timer (a third of the lease); a chunk whose
 * lease was lost is dropped (its remaining items are the new holder's).
 * @internal
 */
export class SharedFeed {
  private current: Held | null = null;
  private readonly held = new Set<Held>();
  private ended = false;
  private stopped = false;
  /** while set, a stopped feed keeps the body's next() waiting (a signal is about to end the process) */
  private hold: { promise: Promise<void>; release: () => void } | null = null;
  /** whether this worker's completion of a chunk completed the job */
  completedJob = false;
  /** items whose completion this worker wrote */
  doneCount = 0;
  private readonly timer: NodeJS.Timeout;
  /** the next wait when nothing is claimable */
  private poll = FIRST_POLL_MS;

  constructor(
    private readonly store: SharedChunkStore,
    private readonly name: string,
    private readonly items: readonly unknown[],
    private readonly leaseMs: number,
    private readonly completedTtlMs: number,
    private readonly logger: SafeStateLogger | null,
  ) {
    this.timer = setInterval(() => this.renewAll(), Math.max(50, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  /** Whether the feed reached the end (every chunk done). */
  get finished(): boolean {
    return this.ended;
  }

  private renewAll(): void {
    for (const h of this.held) {
      if (h.lost) continue;
      this.store.renew(this.name, h.c.chunk, h.c.token, this.leaseMs).then(
        (ok) => {
          if (!ok) this.lose(h, 'its lease could not be renewed');
        },
        (e: unknown) => this.warn(`could not renew the lease of chunk ${h.c.chunk}: ${(e as Error).message}`),
      );
    }
  }

  private warn(msg: string): void {
    try {
      this.logger?.warn(`shared job '${this.name}': ${msg}`);
    } catch {
      /* a logger that throws must not break the job */
    }
  }

  private lose(h: Held, why: string): void {
    if (h.lost) return;
    h.lost = true;
    this.held.delete(h);
    if (this.current === h) this.current = null;
    this.warn(`chunk ${h.c.chunk} [${h.c.start}, ${h.c.end}) was dropped (${why}); another worker holds it now`);
  }

  /** The next item to process, claiming chunks as needed; null at the end (or once stopped). */
  async next(): Promise<SharedItem | null> {
    for (;;) {
      if (this.stopped) return this.afterStop();
      if (this.ended) return null;
      const h = this.current;
      if (h) {
        const len = h.c.end - h.c.start;
        while (h.next < len && h.c.done.has(h.next)) h.next++;
        if (h.next < len) {
          const offset = h.next++;
          h.outstanding++;
          const index = h.c.start + offset;
          return { index, item: this.items[index], held: h };
        }
        this.current = null;
        if (h.outstanding === 0) await this.completeChunk(h);
        continue;
      }
      const claim = await this.store.claim(this.name, this.leaseMs);
      if (this.stopped) {
        if (claim.kind === 'chunk') await this.store.release(this.name, claim.chunk, claim.token);
        return this.afterStop();
      }
      if (claim.kind === 'done') {
        this.ended = true;
        return null;
      }
      if (claim.kind === 'wait') {
        // every chunk left is leased: wait for the earliest expiry, asking again now and then, as
        // the holders may complete their chunks (and so the job) long before (this timer is what
        // the job awaits, so it keeps the process alive like any sleep in the body)
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.poll, Math.max(5, claim.retryInMs + 5))));
        this.poll = Math.min(MAX_POLL_MS, this.poll * 2);
        continue;
      }
      this.poll = FIRST_POLL_MS;
      const held: Held = { c: claim, next: 0, outstanding: 0, lost: false, pending: [], open: null, last: Promise.resolve() };
      this.held.add(held);
      this.current = held;
    }
  }

  /** The body finished an item: its completion is written (fenced) before this resolves. */
  async done(t: SharedItem): Promise<void> {
    const h = t.held as Held;
    if (!h.lost) {
      h.pending.push(t.index - h.c.start);
      await this.write(h);
    }
    h.outstanding--;
    if (h !== this.current && h.outstanding === 0 && !h.lost) await this.completeChunk(h);
  }

  /** The body stopped an item without finishing it (error, break): it stays undone. */
  abandon(t: SharedItem): void {
    (t.held as Held).outstanding--;
  }

  private write(h: Held): Promise<void> {
    if (h.open) return h.open;
    const p = h.last
      .then(() => new Promise<void>((resolve) => nextTurn(resolve)))
      .then(async () => {
        if (h.open === p) h.open = null;
        const offsets = h.pending;
        h.pending = [];
        if (offsets.length === 0 || h.lost) return;
        phaseHook?.('S');
        const ok = await this.store.mark(this.name, h.c.chunk, h.c.token, offsets, this.leaseMs);
        if (!ok) this.lose(h, 'its lease had gone to another worker: the last completions were not counted');
        else {
          this.doneCount += offsets.length;
          phaseHook?.('D');
        }
      });
    h.open = p;
    h.last = p.catch(() => undefined);
    return p;
  }

  private async completeChunk(h: Held): Promise<void> {
    if (h.lost || !this.held.has(h)) return;
    this.held.delete(h);
    const r = await this.store.complete(this.name, h.c.chunk, h.c.token, this.completedTtlMs);
    if (r === 'lost') {
      h.lost = true;
      this.warn(`chunk ${h.c.chunk} was completed by another worker that took it over`);
    } else if (r === 'job-complete') {
      this.completedJob = true;
      this.ended = true;
    }
  }

  /**
   * Stops handing out items: writes the completions already made and gives every held chunk back,
   * so another worker may claim it at once (its done items stay done). Items in flight must be
   * settled first.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const held = [...this.held];
    this.held.clear();
    this.current = null;
    await Promise.allSettled(held.map(async (h) => {
      if (h.lost) return;
      await h.last;
      if (h.pending.length > 0) await this.write(h);
      if (!h.lost) await this.store.release(this.name, h.c.chunk, h.c.token);
    }));
  }

  /** The end a stopped feed answers: at once, or once a hold is released. */
  private async afterStop(): Promise<null> {
    if (this.hold) await this.hold.promise;
    return null;
  }

  /**
   * Before a stop for a signal: the body is not told that the items ended (it would return, and the
   * process could exit with code 0 before the signal ends it) until {@link SharedFeed.releaseHold}.
   */
  holdNext(): void {
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.hold = { promise, release };
  }

  /** The application handles the signal itself: the body may see the end now. */
  releaseHold(): void {
    this.hold?.release();
    this.hold = null;
  }

  /** Stops the lease timer (the run is over). */
  dispose(): void {
    clearInterval(this.timer);
  }
}
