/**
 * Bounds the wait for a promise: rejects with `onTimeout()` when `ms` pass first. The timer is
 * `unref()`ed (it never keeps the process alive) and cleared when the promise settles. The work
 * behind the promise is not cancelled: network backends only use this where a late completion is
 * harmless (see their docs).
 * @internal
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref?.();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
