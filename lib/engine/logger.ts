import type { SafeStateLogger } from './options';

/** Prefix of every verbose line. @internal */
export const PREFIX = '[safe-state]';

/** The logger behind the `verbose` option, or null when it is off. @internal */
export function makeLogger(verbose: boolean | SafeStateLogger | undefined): SafeStateLogger | null {
  if (!verbose) return null;
  if (verbose === true) {
    return {
      info: (m) => process.stderr.write(`${PREFIX} ${m}\n`),
      warn: (m) => process.stderr.write(`${PREFIX} warning: ${m}\n`),
    };
  }
  return verbose;
}

/** A path for messages: relative to the working directory when inside it. @internal */
export function displayPath(p: string): string {
  const cwd = process.cwd();
  return p.startsWith(cwd + '/') ? p.slice(cwd.length + 1) : p;
}
