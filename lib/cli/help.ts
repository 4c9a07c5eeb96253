import type { Command } from './args';

const MAIN = `usage: safe-state <command> [options]

Inspect and clear the checkpoints of safe-state jobs.

commands:
  list                      every job with a checkpoint: progress, runs, last update, last failure
  show <job>                one job in detail: done items, next item, last failure, saved state
  clear <job>               delete a job's checkpoint: its next run starts over
  reset <job> --items LIST  mark items as not done (e.g. --items 1,5-9): the next run redoes them
  reset <job> --keys LIST   the same for jobs that resume by key (the key option)
  reset <job> --failed      forget the failed items (onItemError: 'skip'): the next run does not run them
  help [command]            this text, or the help of one command

where the checkpoints are (one of; default: the backend of $SAFE_STATE_URL,
else the directory $SAFE_STATE_DIR, else .safe_state):
  --dir DIR                 a FileBackend directory
  --redis URL               a RedisBackend, e.g. redis://localhost:6379
  --sqlite FILE             a SqlBackend on a SQLite database file
  --mysql URL               a SqlBackend on MySQL, e.g. mysql://user@host/db
  --postgres URL            a SqlBackend on PostgreSQL, e.g. postgres://user@host/db

options:
  --json                    machine-readable output on stdout (errors too)
  -h, --help                help
  -V, --version             the version of safe-state

<job> is a job name, or the name of its checkpoint file (as the verbose output prints it).

exit codes:
  0  done             3  a checkpoint is unreadable (damaged, or from a newer safe-state)
  1  no such job      4  the backend failed or is not available
  2  usage error      5  the job is running (clear and reset refuse)

Guide: docs/cli.md
`;

const COMMAND_HELP: Record<Command, string> = {
  list: `usage: safe-state list [--dir DIR | --redis URL | --sqlite FILE | --mysql URL | --postgres URL] [--json]

A table of every job with a checkpoint: status (complete, incomplete, unreadable), a progress bar,
done/total items, runs started, last update and last failure. Exit code 3 when at least one
checkpoint is unreadable (the table still lists every job).
`,
  show: `usage: safe-state show <job> [backend option] [--json]

One job in detail: where its checkpoint is, done items (as ranges) and the item the next run starts
with, runs, when it started and was last updated, the last failure with its stack, the state saved
with checkpoint(), the job's fields at the failure, and stored results. Values under names that mark a secret
(apiKey, dbPassword, x-auth-token, ...) print as [redacted], URL passwords as ***. Reading never
runs code from the checkpoint and never opens connections for saved live objects.
`,
  clear: `usage: safe-state clear <job> [backend option] [--json]

Deletes the job's checkpoint, so its next run starts over from the first item. Takes the job's lock
first: while the job runs, clear refuses with exit code 5. Also the way out of an unreadable
checkpoint.
`,
  reset: `usage: safe-state reset <job> --items LIST [backend option] [--json]
       safe-state reset <job> --keys LIST [backend option] [--json]
       safe-state reset <job> --failed [backend option] [--json]

Marks items as not done, so that the next run processes them again (and skips the other done items
as before). LIST is 0-based item indices and ranges, as the verbose output counts them: 1,5-9. For
jobs with the key option use --keys with the items' keys: u1,u2 or a JSON array '["u1", 42]'.
Items that were not done are left alone. Their stored results are dropped. The last failure, run
count and saved state stay. A kept complete checkpoint (keepOnSuccess) becomes resumable again, so
its next run processes only these items. With --failed, the items that failed with
onItemError: 'skip' are forgotten instead: they count as done and the next run does not run them
(without it, the next run runs only them and the items never reached). Takes the job's lock: while the job runs, reset refuses
with exit code 5.
`,
  help: 'usage: safe-state help [command]\n',
  version: 'usage: safe-state --version\n',
};

/** The help text of the command line, or of one command. @internal */
export function helpText(command: Command | null): string {
  return command === null ? MAIN : COMMAND_HELP[command];
}
