import type { SafeStateLogger } from './options';
import { clearStderrLine, stderrIsLive, stderrStatusLine } from './live-progress';

/** Prefix of every verbose line. @internal */
export const PREFIX = '[safe-state]';

/** The logger behind the `verbose` option, or null when it is off. @internal */
export function makeLogger(verbose: boolean | SafeStateLogger | undefined): SafeStateLogger | null {
  if (!verbose) return null;
  if (verbose === true) {
    return {
      info: (m) => {
        clearStderrLine();
        process.stderr.write(`${PREFIX} ${m}\n`);
      },
      warn: (m) => {
        clearStderrLine();
        process.stderr.write(`${PREFIX} warning: ${m}\n`);
      },
    };
  }
  return verbose;
}

/** A path for messages: relative to the working directory when inside it. @internal */
export function displayPath(p: string): string {
  const cwd = process.cwd();
  return p.startsWith(cwd + '/') ? p.slice(cwd.length + 1) : p;
}

/**
 * Starts the live progress line of a job (verbose: true, stderr a terminal); answers the function
 * that removes it, or null when there is none. It reads `done()` a few times per second from a
 * timer, never on the per-item path.
 * @internal
 */
export function startLiveProgress(verbose: boolean | SafeStateLogger | undefined, name: string, read: () => { done: number; total: number | null }): (() => void) | null {
  if (verbose !== true || !stderrIsLive()) return null;
  return stderrStatusLine().add(name, read);
}
