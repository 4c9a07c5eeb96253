import * as fs from 'node:fs';
import { promisify } from 'node:util';

const fdatasyncAsync = promisify(fs.fdatasync);

/**
 * Group commit on one append handle: callers that wrote their records (synchronously, so the
 * writes land in order) ask for an fdatasync that covers them; while one is in flight (off the
 * main thread, so the event loop keeps running item bodies), every caller that asks meanwhile
 * shares the next one, started as soon as the running one ends. A caller's promise resolves only
 * once an fdatasync that started after its write has completed: its records are on disk.
 *
 * The handle is closed through {@link GroupCommit.close}, which waits for the syncs in flight (a
 * descriptor closed under a pending fdatasync could fail it, or be reused by another file).
 * @internal
 */
export class GroupCommit {
  /** the fdatasync in flight */
  private running: Promise<void> | null = null;
  /** the fdatasync queued behind it, shared by everyone who asked while `running` was in flight */
  private queued: Promise<void> | null = null;
  private closing = false;
  private closed = false;

  constructor(readonly fd: number) {}

  /** Resolves once an fdatasync that started after this call has completed (rejects with its error). */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    const running = this.running;
    if (!running) return this.start();
    const next = running
      .catch(() => undefined) // a failed sync covers nobody: the next one runs anyway
      .then(() => {
        this.queued = null;
        return this.start();
      });
    this.queued = next;
    return next;
  }

  private start(): Promise<void> {
    const p: Promise<void> = fdatasyncAsync(this.fd).finally(() => {
      if (this.running === p) this.running = null;
      if (this.closing && !this.running && !this.queued) this.closeNow();
    });
    this.running = p;
    return p;
  }

  /** Closes the descriptor now, or once the syncs in flight are done. */
  close(): void {
    this.closing = true;
    if (!this.running && !this.queued) this.closeNow();
  }

  private closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
