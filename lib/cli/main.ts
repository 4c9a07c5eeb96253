#!/usr/bin/env node
/**
 * The `safe-state` command line (package.json `bin`): inspect and clear checkpoints.
 * See docs/cli.md, or run `safe-state help`.
 * @internal
 * @packageDocumentation
 */
import { runCli } from './run-cli';

// `safe-state list | head` closes stdout early: that is not an error worth a stack trace
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  now: () => new Date(),
}).then((code) => {
  process.exitCode = code;
});
