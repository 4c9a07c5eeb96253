import { InvalidOptionsError } from '../errors/invalid-options-error';
import { resolveRetry } from './retry-options';

/** Whether `v` is an AbortSignal (also one of another realm or a polyfill). @internal */
export function isAbortSignal(v: unknown): v is AbortSignal {
  if (v instanceof AbortSignal) return true;
  const s = v as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null;
  return typeof s === 'object' && s !== null && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function';
}

/**
 * Validates the failure-policy options (`retry`, `signal`) at definition time; throws
 * {@link InvalidOptionsError} naming the option.
 * @internal
 */
export function validatePolicyOptions(o: Record<string, unknown>): void {
  if (o.retry !== undefined) resolveRetry(o.retry);
  if (o.signal !== undefined && !isAbortSignal(o.signal)) {
    throw new InvalidOptionsError('signal', `signal: must be an AbortSignal, e.g. new AbortController().signal or AbortSignal.timeout(ms) (got ${o.signal === null ? 'null' : typeof o.signal})`);
  }
  if (o.onItemError !== undefined && o.onItemError !== 'stop' && o.onItemError !== 'skip') {
    throw new InvalidOptionsError('onItemError', `onItemError: must be 'stop' or 'skip' (got ${String(o.onItemError)})`);
  }
  if (o.workers === 'shared') {
    for (const n of ['retry', 'signal', 'onItemError']) {
      if (o[n] !== undefined && !(n === 'onItemError' && o[n] === 'stop')) throw new InvalidOptionsError(n, `${n}: cannot be used with workers: 'shared' yet (a shared worker that fails can be started again; its chunk's lease expires and another worker takes it)`);
    }
  }
}

/**
 * Refuses a retry over an input that cannot be iterated again from its start: a retry re-iterates
 * the tracked argument as a rerun would, and a one-shot source (an iterator, a generator, a
 * stream) would look empty or shorter, so the job would end without its remaining items.
 * @internal
 */
export function checkReiterable(name: string, input: unknown, argIndex: number): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return;
  const o = input as { next?: unknown; pipe?: unknown; getReader?: unknown };
  const what = typeof o.next === 'function' ? 'an iterator (a generator?)' : typeof o.pipe === 'function' || typeof o.getReader === 'function' ? 'a stream' : null;
  if (what === null) return;
  throw new InvalidOptionsError('retry', `retry: job '${name}' got ${what} as its tracked argument ${argIndex}, which cannot be iterated again from the start for a retry (or, with onItemError: 'skip', to go on after a failed item); pass an array (or a Set, Map or an iterable whose [Symbol.iterator]() starts over), or leave 'retry' out and rerun the job instead (see docs/failures.md)`);
}
