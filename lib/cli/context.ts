import type { CliArgs } from './args';
import type { SelectedBackend } from './backend-from-args';

/** Where a command writes: a stream, or a test's collector. @internal */
export interface TextOut {
  write(text: string): unknown;
  /** a terminal: tables fit its width */
  isTTY?: boolean;
  /** the terminal's width */
  columns?: number;
}

/** The outside world of the command line. @internal */
export interface CliIo {
  stdout: TextOut;
  stderr: TextOut;
  /** the current time (for "5m ago") */
  now(): Date;
}

/** What a command runs with. @internal */
export interface CommandContext {
  args: CliArgs;
  selected: SelectedBackend;
  io: CliIo;
}

/** A command: does its work, writes its output, answers the exit code. @internal */
export type CommandFn = (ctx: CommandContext) => Promise<number>;

const hints = new WeakMap<object, string>();

/** Attaches advice to an error, printed under its message. Returns the error. @internal */
export function withHint<E extends object>(error: E, hint: string): E {
  hints.set(error, hint);
  return error;
}

/** The advice attached with {@link withHint}, if any. @internal */
export function hintOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? hints.get(error) : undefined;
}
