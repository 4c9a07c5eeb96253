import { activeJob } from '../engine/job-context';

/**
 * The `signal` option of the running job, for the body to cancel its own work in flight with it
 * (`fetch(url, { signal: currentSignal() })`); `undefined` when the job has none. The engine stops
 * the job before its next item when the signal is aborted; work inside the item stops only if it
 * listens to the signal. Outside a job it throws {@link NoActiveJobError}.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const sync = safeState(async (urls: string[]) => {
 *   for (const url of urls) await fetch(url, { signal: currentSignal() });
 * }, { name: 'sync', signal: controller.signal });
 * process.once('SIGUSR2', () => controller.abort(new Error('stopped by operator')));
 * ```
 */
export function currentSignal(): AbortSignal | undefined {
  return activeJob('currentSignal').signal ?? undefined;
}
