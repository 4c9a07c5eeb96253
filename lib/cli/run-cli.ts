import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type CliArgs, type Command } from './args';
import { backendFromArgs, type SelectedBackend } from './backend-from-args';
import { ExitCode, exitCodeOf } from './exit-codes';
import { UsageError } from './cli-errors';
import { helpText } from './help';
import { errorJson, printJson } from './json-output';
import { hintOf, type CliIo, type CommandFn, type TextOut } from './context';
import { terminalLines, terminalText } from '../util/terminal-text';
import { listCommand } from './commands/list';
import { showCommand } from './commands/show';
import { clearCommand } from './commands/clear';
import { resetCommand } from './commands/reset';

const COMMANDS: Record<Exclude<Command, 'help' | 'version'>, CommandFn> = {
  list: listCommand,
  show: showCommand,
  clear: clearCommand,
  reset: resetCommand,
};

/** The version in the package.json of this copy of safe-state. @internal */
export function packageVersion(): string {
  for (const up of [['..', '..'], ['..', '..', '..']]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, ...up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'safe-state' && pkg.version) return pkg.version;
    } catch {
      /* try the next */
    }
  }
  return 'unknown';
}

/**
 * A stream whose every write is made terminal-safe line by line (util/terminal-text.ts): the last
 * guard, behind the commands' own escaping of names and messages, so that nothing from a checkpoint
 * or an error can drive the operator's terminal. Output without control characters (what the
 * commands write, and `--json` text) passes unchanged.
 */
function terminalSafe(out: TextOut): TextOut {
  return { write: (text: string) => out.write(terminalLines(text)), isTTY: out.isTTY, columns: out.columns };
}

/**
 * The `safe-state` command: parses `argv` (the arguments after the program name), runs the command
 * and answers its exit code (see {@link ExitCode}). Never throws: every error becomes a message on
 * stderr (and, with `--json`, an `{ "error": … }` object on stdout) and its exit code. Text for
 * the terminal is sanitised: job names, file names and error messages print as one line with
 * control characters escaped; `--json` output is exact JSON.
 * @internal
 */
export async function runCli(argv: readonly string[], rawIo: CliIo): Promise<number> {
  const io: CliIo = { stdout: terminalSafe(rawIo.stdout), stderr: terminalSafe(rawIo.stderr), now: () => rawIo.now() };
  let args: CliArgs | null = null;
  let selected: SelectedBackend | null = null;
  try {
    args = parseArgs(argv);
    if (args.command === 'help') {
      io.stdout.write(helpText(args.job as Command | null));
      return ExitCode.OK;
    }
    if (args.command === 'version') {
      io.stdout.write(args.json ? printJson({ version: packageVersion() }) : `${packageVersion()}\n`);
      return ExitCode.OK;
    }
    selected = backendFromArgs(args.backend);
    return await COMMANDS[args.command]({ args, selected, io });
  } catch (error) {
    const code = exitCodeOf(error);
    if (args?.json ?? argv.includes('--json')) io.stdout.write(printJson(errorJson(error)));
    const message = error instanceof Error ? error.message : String(error);
    let text = `safe-state: ${terminalText(message)}\n`;
    const hint = hintOf(error);
    if (hint) text += `safe-state: ${terminalText(hint)}\n`;
    if (error instanceof UsageError) text += error.showUsage ? `\n${helpText(null)}` : `run 'safe-state help' for usage\n`;
    if (code === ExitCode.INTERNAL && error instanceof Error && error.stack) text += `${error.stack}\n(this is a bug in safe-state: please report it)\n`;
    io.stderr.write(text);
    return code;
  } finally {
    if (selected) await closeWithin(selected, CLOSE_LIMIT_MS);
  }
}

/** How long the command waits for its backend to close before it exits anyway. */
const CLOSE_LIMIT_MS = 2_000;

/**
 * Closes the backend, waiting at most `ms`. Closing a client whose server went away may never
 * settle; the exit code must neither wait on it nor be lost: without a timer of its own keeping the
 * process alive, the event loop would drain with the command unfinished and the process would
 * exit 0 after printing an error.
 */
async function closeWithin(selected: SelectedBackend, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([selected.close().catch(() => undefined), limit]);
  } finally {
    clearTimeout(timer);
  }
}
