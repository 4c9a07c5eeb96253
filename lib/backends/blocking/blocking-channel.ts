import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Durability, StateBackend } from '../state-backend';
import type { LockHolder } from '../lock';
import type { WorkerSpec } from './worker-spec';
import type { BlockingAnswer, BlockingRequest } from './blocking-protocol';
import { BackendError } from '../../errors/backend-error';
import { JobLockedError } from '../../errors/job-locked-error';
import { LATE_TIMER_MS, expiryTimer } from '../deadline';

/** How long one `Atomics.wait` of a blocking save lasts at most, ms (see callSync). */
const WAIT_SLICE_MS = 250;

/** How long the worker may take to start (load its code and the driver) on top of the first save's timeout, ms. @internal */
export const WORKER_BOOT_MS = 30_000;
/**
 * How much longer than the backend's own operation timeout the caller waits: the backend's error
 * (with its details) normally arrives first; this wait is the backstop for a worker that hangs.
 * @internal
 */
export const ANSWER_MARGIN_MS = 1_000;

const TSX_REGISTER = 'tsx/cjs';

/** The worker's file: beside the bundle (`dist/blocking-worker.js`), or this directory's TypeScript source (tests, tsx). */
function workerEntry(): { file: string; eval: boolean } | null {
  // an ES module bundle has no __dirname: no worker there (the caller falls back and warns)
  const here = typeof __dirname === 'string' ? __dirname : null;
  if (!here) return null;
  const js = path.join(here, 'blocking-worker.js');
  if (fs.existsSync(js)) return { file: js, eval: false };
  const ts = path.join(here, 'blocking-worker.ts');
  if (!fs.existsSync(ts)) return null;
  let tsx: string;
  try {
    // the sources run under tsx (tests, development): the worker loads them through tsx too (a
    // require of our own, so that application bundlers do not try to bundle tsx)
    tsx = createRequire(ts).resolve(TSX_REGISTER);
  } catch {
    return null;
  }
  return { file: `require(${JSON.stringify(tsx)});\nrequire(${JSON.stringify(ts)});\n`, eval: true };
}

/** Why no channel could be opened (the engine words its one-time warning after it). @internal */
export type NoChannel = 'no-hook' | 'not-describable' | 'no-worker-file' | 'no-worker';

/**
 * Saves that block the calling thread until they counted: a worker thread with a connection of its
 * own runs the backend's own `save`/`append` while the caller waits in `Atomics.wait` (the approach
 * of the synckit package: a shared counter the worker bumps after posting its answer, which the
 * caller then takes with `receiveMessageOnPort`). This is what lets a plain `for..of` step, which
 * cannot await, store item k before it hands out item k+1 on an asynchronous backend.
 *
 * Requests run in the order they were sent, blocking or not, so the checkpoint's records land in
 * order. The worker never keeps the process alive (unref'd) and is ended by {@link BlockingChannel.close}.
 * @internal
 */
export class BlockingChannel {
  private readonly answered = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private sent = 0;
  private readonly results = new Map<number, BlockingAnswer>();
  private readonly waiting = new Map<number, { resolve(): void; reject(e: Error): void; stop(): void }>();
  private bootMs = WORKER_BOOT_MS;
  /** why the channel cannot be used any more (a save that timed out: its fate is unknown), else null */
  broken: Error | null = null;

  private constructor(
    private readonly spec: WorkerSpec,
    private readonly jobName: string,
    entry: { file: string; eval: boolean },
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(entry.file, {
      eval: entry.eval,
      workerData: { port: port2, answered: this.answered, spec, jobName },
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.worker.on('error', (e) => this.fail(new BackendError(`the save worker of job '${jobName}' failed: ${e.message}`, { cause: e })));
    this.port.on('message', (a: BlockingAnswer) => this.dispatch(a));
    this.port.unref();
  }

  /**
   * A channel for the job's backend, or why there is none: a backend without the
   * {@link StateBackend.workerSpec} hook (a user's), one whose connection cannot be described as
   * data, or no worker file beside the code (an application bundle that left it out).
   */
  static open(backend: StateBackend, jobName: string): BlockingChannel | NoChannel {
    if (typeof backend.workerSpec !== 'function') return 'no-hook';
    const spec = backend.workerSpec(jobName);
    if (!spec) return 'not-describable';
    const entry = workerEntry();
    if (!entry) return 'no-worker-file';
    try {
      return new BlockingChannel(spec, jobName, entry);
    } catch {
      return 'no-worker';
    }
  }

  private post(op: BlockingRequest['op'], data: string, durability: Durability): number {
    if (this.broken) throw this.broken;
    const id = ++this.sent;
    const r: BlockingRequest = { id, op, jobName: this.jobName, data, durability };
    this.port.postMessage(r);
    return id;
  }

  private error(a: BlockingAnswer): Error {
    const e = a.error!;
    if (e.code === JobLockedError.CODE) return new JobLockedError(this.jobName, e.holder as LockHolder | null, e.lost);
    if (e.code === BackendError.CODE) return new BackendError(e.message);
    return new BackendError(`cannot save job '${this.jobName}' (in the save worker): ${e.name}: ${e.message}`);
  }

  private dispatch(a: BlockingAnswer): void {
    const w = this.waiting.get(a.id);
    if (!w) {
      this.results.set(a.id, a);
      return;
    }
    this.waiting.delete(a.id);
    w.stop();
    if (this.waiting.size === 0) this.port.unref();
    if (a.ok) w.resolve();
    else w.reject(this.error(a));
  }

  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) this.dispatch(m.message as BlockingAnswer);
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.stop();
      w.reject(e);
    }
    this.port.unref();
    void this.worker.terminate().catch(() => undefined);
  }

  private timeoutMs(): number {
    const t = this.spec.timeoutMs + ANSWER_MARGIN_MS + this.bootMs;
    this.bootMs = 0;
    return t;
  }

  private timedOut(ms: number): Error {
    const e = new BackendError(`cannot save job '${this.jobName}': no answer from the save worker within ${ms} ms`);
    this.fail(e);
    return e;
  }

  /**
   * Runs one request and blocks the calling thread until it is done (or its timeout passed: a
   * `BackendError`, and the channel is broken from then on).
   */
  callSync(op: 'save' | 'append', data: string, durability: Durability): void {
    const id = this.post(op, data, durability);
    const ms = this.timeoutMs();
    // waited in slices; a slice counts for at most its length plus LATE_TIMER_MS, so a process
    // stopped meanwhile (SIGSTOP, its worker with it) does not count the stopped time as the worker's
    let waited = 0;
    for (;;) {
      const n = Atomics.load(this.answered, 0);
      if (n >= id) break;
      const slice = Math.min(ms - waited, WAIT_SLICE_MS);
      if (slice <= 0) throw this.timedOut(ms);
      const t0 = Date.now();
      Atomics.wait(this.answered, 0, n, slice);
      waited += Math.min(Date.now() - t0, slice + LATE_TIMER_MS);
    }
    this.drain();
    const a = this.results.get(id)!;
    this.results.delete(id);
    if (!a.ok) throw this.error(a);
  }

  /** Runs one request without blocking; resolves when it is done. */
  callAsync(op: 'save' | 'append', data: string, durability: Durability): Promise<void> {
    let id: number;
    try {
      id = this.post(op, data, durability);
    } catch (e) {
      return Promise.reject(e);
    }
    const ms = this.timeoutMs();
    return new Promise<void>((resolve, reject) => {
      const stop = expiryTimer(ms, () => reject(this.timedOut(ms)));
      this.waiting.set(id, { resolve, reject, stop });
      this.port.ref(); // a job awaiting its save keeps the process alive
    });
  }

  /** Lets the worker close its connection (briefly), then ends it. */
  async close(): Promise<void> {
    if (!this.broken) {
      try {
        const id = this.post('close', '', 'process');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1_000);
          this.waiting.set(id, { resolve, reject: () => resolve(), stop: () => clearTimeout(timer) });
          this.port.ref();
        });
      } catch {
        /* ended below */
      }
    }
    this.broken ??= new BackendError(`the save worker of job '${this.jobName}' was closed`);
    this.port.close();
    await this.worker.terminate().catch(() => undefined);
  }
}
