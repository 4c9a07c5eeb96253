/**
 * How late a deadline's timer may fire before the wait counts as not watched: the process was
 * stopped (SIGSTOP, a suspended machine) or its event loop held, and the answer may be waiting,
 * unread, in a socket (timers run before the poll for I/O on a resumed loop). Ms.
 * @internal
 */
export const LATE_TIMER_MS = 500;

/** A second look after a late timer: the answer already received is read first. Ms. */
const SECOND_LOOK_MS = 1_000;

/**
 * Bounds the wait for a promise: rejects with `onTimeout()` when `ms` pass first. The timer is
 * `unref()`ed (it never keeps the process alive) and cleared when the promise settles. A timer that
 * fires more than {@link LATE_TIMER_MS} late (the process was stopped or busy, so the time did not
 * pass for the server alone) gives the answer one more second. The work behind the promise is not
 * cancelled: network backends only use this where a late completion is harmless (see their docs).
 * @internal
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    const stop = expiryTimer(ms, () => reject(onTimeout()));
    promise.then(
      (v) => {
        stop();
        resolve(v);
      },
      (e: unknown) => {
        stop();
        reject(e);
      },
    );
  });
}

/**
 * Calls `onExpiry` once `ms` have passed (an `unref()`ed timer), unless stopped first with the
 * function returned. A timer that fires more than {@link LATE_TIMER_MS} late waits one second more
 * (see {@link withDeadline}).
 * @internal
 */
export function expiryTimer(ms: number, onExpiry: () => void): () => void {
  let due = Date.now() + ms;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (wait: number) => {
    timer = setTimeout(() => {
      const now = Date.now();
      if (now - due <= LATE_TIMER_MS) return onExpiry();
      due = now + SECOND_LOOK_MS;
      arm(SECOND_LOOK_MS);
    }, wait);
    timer.unref?.();
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/**
 * Remembers that a server went silent, so that one operation timeout bounds a whole failure path.
 * When an operation gets no answer within the timeout, the server is "known silent" for the next
 * `timeoutMs` unless an answer arrives meanwhile: operations during that window fail (or, for a
 * release, give up) at once instead of waiting a timeout each. A job whose save timed out then
 * fails after one timeout, not one per operation of its failure path (the failure save, the
 * release); once the window has passed, operations are sent again, so a later run works as soon as
 * the server answers again.
 * @internal
 */
export class ServerSilence {
  /** when an operation last got no answer (ms since the epoch), 0 when the server answered since */
  private since = 0;

  constructor(private readonly timeoutMs: number) {}

  /** An operation got no answer within the timeout. */
  noAnswer(): void {
    this.since = Date.now();
  }

  /** The server answered (a reply or an error reply: it is not silent). */
  answered(): void {
    this.since = 0;
  }

  /** Whether the server is known silent (see the class description). */
  get silent(): boolean {
    return this.since !== 0 && Date.now() - this.since < this.timeoutMs;
  }

  /** The error an operation fails with while the server is known silent. */
  error(): Error {
    return new Error(`the server has not answered since an operation got no answer within ${this.timeoutMs} ms ${Date.now() - this.since} ms ago; not waiting again`);
  }
}
