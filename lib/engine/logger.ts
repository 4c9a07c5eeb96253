import type { SafeStateLogger } from './options';
import { clearStderrLine, stderrIsLive, stderrStatusLine } from './live-progress';
import { terminalText } from '../util/terminal-text';

/** Prefix of every verbose line. @internal */
export const PREFIX = '[safe-state]';

/**
 * The logger behind the `verbose` option, or null when it is off. Every message is one line of
 * terminal-safe text (see util/terminal-text.ts): job names and error messages come from user code
 * and checkpoints, and may hold control sequences or newlines. A logger of yours gets the same
 * escaped lines.
 * @internal
 */
export function makeLogger(verbose: boolean | SafeStateLogger | undefined): SafeStateLogger | null {
  if (!verbose) return null;
  if (verbose === true) {
    return {
      info: (m) => {
        clearStderrLine();
        process.stderr.write(`${PREFIX} ${terminalText(m)}\n`);
      },
      warn: (m) => {
        clearStderrLine();
        process.stderr.write(`${PREFIX} warning: ${terminalText(m)}\n`);
      },
    };
  }
  const user = verbose;
  return {
    info: (m) => user.info(terminalText(m)),
    warn: (m) => user.warn(terminalText(m)),
  };
}

/** A process warning (Node prints it on stderr), as terminal-safe text. @internal */
export function emitEngineWarning(message: string, code: string): void {
  process.emitWarning(terminalText(message), { code });
}

/**
 * Starts the live progress line of a job (verbose: true, stderr a terminal); answers the function
 * that removes it, or null when there is none. It reads `done()` a few times per second from a
 * timer, never on the per-item path.
 * @internal
 */
export function startLiveProgress(verbose: boolean | SafeStateLogger | undefined, name: string, read: () => { done: number; total: number | null }): (() => void) | null {
  if (verbose !== true || !stderrIsLive()) return null;
  return stderrStatusLine().add(terminalText(name), read);
}
