#!/usr/bin/env node
/**
 * The `safe-state` command line (package.json `bin`): inspect and clear checkpoints.
 * See docs/cli.md, or run `safe-state help`.
 * @internal
 * @packageDocumentation
 */
import { ExitCode } from './exit-codes';
import { runCli } from './run-cli';

// `safe-state list | head` closes stdout early: that is not an error worth a stack trace
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

let finished = false;
// the event loop drained before the command answered (a promise nothing settles): never exit 0 then
process.on('exit', (code) => {
  if (finished || code !== 0) return;
  process.stderr.write('safe-state: the command ended without an answer (this is a bug in safe-state: please report it)\n');
  process.exitCode = ExitCode.INTERNAL;
});

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  now: () => new Date(),
}).then((code) => {
  finished = true;
  process.exitCode = code;
});
