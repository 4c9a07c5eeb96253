import { globalRegistry } from '../util/global-registry';

/**
 * SIGINT / SIGTERM while jobs run: every running job flushes its pending progress (and records the
 * interruption), then the signal is raised again so the process ends the conventional way
 * (exit 130 / 143). When the application has SIGINT/SIGTERM listeners of its own, they decide
 * instead and the signal is not raised again. Listeners are installed only while a job runs.
 * @internal
 */
export interface Interruptible {
  /** Flush pending progress and record the interruption. */
  interrupted(signal: NodeJS.Signals): Promise<void>;
  /** The process is about to end by the signal: release what a next run must be able to take. */
  ending(): void;
  /** The application handles the signal itself: the process goes on (optional). */
  continuing?(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * The running jobs and the listener, process-wide (on the global registry): two loaded copies of
 * safe-state (a CommonJS and an ES module build, two versions) must not each install a listener,
 * or each would count the other's as the application's own and the process would never end.
 */
function watch(): { runs: Set<Interruptible>; listener: ((signal: NodeJS.Signals) => void) | null } {
  const r = globalRegistry();
  return (r.signalWatch ??= { runs: new Set(), listener: null }) as { runs: Set<Interruptible>; listener: ((signal: NodeJS.Signals) => void) | null };
}

/**
 * Listeners of the application's own. signal-exit (loaded by many packages) keeps passive
 * SIGINT/SIGTERM listeners that re-raise the signal once they are alone: they do not count.
 */
function applicationListeners(signal: NodeJS.Signals): number {
  const se = (process as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
  return Math.max(0, process.listenerCount(signal) - (typeof se?.count === 'number' ? se.count : 0));
}

function onSignal(signal: NodeJS.Signals): void {
  const runs = [...watch().runs];
  void Promise.allSettled(runs.map((r) => r.interrupted(signal))).then(() => {
    uninstall();
    if (applicationListeners(signal) !== 0) {
      for (const r of runs) r.continuing?.(); // the application handles the signal itself
      return;
    }
    for (const r of runs) r.ending();
    if (process.listenerCount(signal) !== 0) process.emit(signal, signal); // signal-exit, alone now, re-raises at once
    process.kill(process.pid, signal);
  });
}

function install(): void {
  const w = watch();
  if (w.listener) return;
  w.listener = onSignal;
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  const w = watch();
  const l = w.listener;
  if (!l) return;
  w.listener = null;
  for (const s of SIGNALS) process.removeListener(s, l);
}

/** Registers a running job; returns the function that unregisters it. @internal */
export function watchSignals(run: Interruptible): () => void {
  const w = watch();
  if (w.runs.size === 0) install();
  w.runs.add(run);
  return () => {
    if (w.runs.delete(run) && w.runs.size === 0) uninstall();
  };
}
