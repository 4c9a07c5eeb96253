import { listJobs } from '../resolve-job';
import * as path from 'node:path';
import { CheckpointCorruptError } from '../../errors/checkpoint-corrupt-error';
import { SafeStateError } from '../../errors/safe-state-error';
import { percentText, progressBar } from '../../util/progress-bar';
import { ExitCode } from '../exit-codes';
import { readJobEntry, type JobEntry } from '../read-job';
import { renderTable, type Column } from '../table';
import { formatTime, truncate } from '../format';
import { jobJson, printJson } from '../json-output';
import type { CommandContext } from '../context';
import { terminalText } from '../../util/terminal-text';

const BAR_WIDTH = 20;

const COLUMNS: Column[] = [
  { title: 'JOB', shrink: true },
  { title: 'STATUS' },
  { title: 'PROGRESS' },
  { title: 'DONE', right: true },
  { title: 'FAILED', right: true },
  { title: 'RUNS', right: true },
  { title: 'LAST UPDATE' },
  { title: 'LAST FAILURE', shrink: true },
];

/** What an unreadable checkpoint's error says after "is unreadable: ". */
function unreadableDetail(e: SafeStateError): string {
  const i = e.message.indexOf(' is unreadable: ');
  return i >= 0 ? e.message.slice(i + ' is unreadable: '.length) : e.message;
}

/** The FAILED column's index: shown only when a job has failed items (`onItemError: 'skip'`). */
const FAILED_COLUMN = COLUMNS.findIndex((c) => c.title === 'FAILED');

/** The table of `list`: without the FAILED column when no job has failed items. @internal */
export function listTable(entries: JobEntry[], maxWidth: number | undefined): string {
  const rows = entries.map(jobRow);
  if (entries.some((e) => e.readable && e.failed > 0)) return renderTable(COLUMNS, rows, maxWidth);
  const without = <T>(a: readonly T[]) => a.filter((_, i) => i !== FAILED_COLUMN);
  return renderTable(without(COLUMNS), rows.map(without), maxWidth);
}

/** The cells of one job's row. @internal */
export function jobRow(e: JobEntry): string[] {
  if (!e.readable) return [e.job, 'unreadable', '', '', '', '', '', truncate(unreadableDetail(e.error), 80)];
  const f = e.lastFailure;
  const failure = f ? truncate(`${f.index !== null ? `item ${f.index}: ` : ''}${f.name}: ${f.message}`, 80) : '-';
  return [
    e.job,
    e.complete ? 'complete' : 'incomplete',
    `${progressBar(e.progress, BAR_WIDTH)} ${percentText(e.progress).padStart(4)}`,
    `${e.done}/${e.total ?? '?'}`,
    e.failed > 0 ? String(e.failed) : '-',
    String(e.runs),
    formatTime(e.updatedAt),
    failure,
  ];
}

/**
 * `safe-state list`: every job of the backend, readable or not, sorted by name. Exit code 3 when
 * at least one checkpoint is unreadable.
 * @internal
 */
export async function listCommand({ args, selected, io }: CommandContext): Promise<number> {
  const names = await listJobs(selected);
  const entries: JobEntry[] = [];
  for (const name of names) {
    const entry = await readJobEntry(selected.backend, name);
    if (entry) entries.push(entry); // null: cleared since it was listed
  }
  for (const file of await selected.unlistedFiles()) {
    const error = new CheckpointCorruptError(path.basename(file), file, 'not a readable checkpoint file (its header is damaged, so it names no job)');
    entries.push({ readable: false, job: path.basename(file), location: file, error });
  }
  entries.sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
  const unreadable = entries.filter((e) => !e.readable).length;

  if (args.json) {
    io.stdout.write(printJson({ backend: selected.info, jobs: entries.map(jobJson) }));
  } else if (entries.length === 0) {
    io.stdout.write(`no checkpoints in ${terminalText(selected.where)}\n`);
  } else {
    io.stdout.write(listTable(entries, io.stdout.isTTY ? io.stdout.columns : undefined));
  }
  if (unreadable > 0) {
    io.stderr.write(`safe-state: ${unreadable} checkpoint${unreadable > 1 ? 's are' : ' is'} unreadable; 'safe-state show <job>' tells why, 'safe-state clear <job>' deletes one\n`);
    return ExitCode.UNREADABLE;
  }
  return ExitCode.OK;
}
