import { inspect } from 'node:util';
import { deserializeInert } from '../../state/serializer';
import { percentText, progressBar } from '../../util/progress-bar';
import { ExitCode } from '../exit-codes';
import { JobNotFoundError } from '../cli-errors';
import { readJob, type JobReport } from '../read-job';
import { resolveJob } from '../resolve-job';
import { displayPath, formatAgo, formatTime, truncate } from '../format';
import { doneKeysText, doneRangesText, failedItemsText, firstUndone, progressOf } from '../job-details';
import { jobDetailJson, printJson } from '../json-output';
import type { CommandContext } from '../context';
import { redactForDisplay } from '../redacted';
import { terminalLines, terminalText } from '../../util/terminal-text';

const LABEL = 14;

function field(label: string, value: string): string {
  const [first, ...more] = value.split('\n');
  return [`${label.padEnd(LABEL)}${first}`, ...more.map((l) => (l ? ' '.repeat(LABEL) + l : l))].join('\n') + '\n';
}

/** A stored value for display: secrets masked ([redacted]), util.inspect's lines made terminal-safe. */
function inspectValue(text: string): string {
  return terminalLines(inspect(redactForDisplay(deserializeInert(text)), { depth: 6, breakLength: 100, maxArrayLength: 50, maxStringLength: 500, colors: false }));
}

function statusText(r: JobReport): string {
  if (r.complete) return 'complete (kept with keepOnSuccess): the next run starts over from the first item';
  if (r.keyed) return `incomplete: the next run skips the ${r.done} done item keys`;
  const next = firstUndone(r);
  if (next === null) return 'incomplete: every item is done; the next run finishes the job';
  return `incomplete: the next run starts with item ${next}`;
}

/**
 * The text of `safe-state show`. Everything that comes from the checkpoint is terminal-safe: the
 * job name, the location and keys as one escaped line each, the failure's stack and the stored
 * values line by line with every other control character escaped.
 * @internal
 */
export function renderShow(r: JobReport, now: Date): string {
  const { doc } = r;
  let out = field('job', terminalText(r.job));
  if (r.location) out += field('checkpoint', terminalText(displayPath(r.location)));
  out += field('status', statusText(r));
  out += field('progress', `${progressBar(r.progress, 30)} ${percentText(r.progress)}  ${r.done}/${r.total ?? '?'} items done`);
  const done = progressOf(doc);
  if (r.keyed) {
    out += field('done keys', doneKeysText(done.keys!, 20));
  } else {
    out += field('done items', truncate(doneRangesText(done.progress), 300) || 'none');
  }
  if (r.failed > 0) {
    const first = doc.failed!.details.slice(0, 5).map((d) => `${d.key !== undefined ? JSON.stringify(d.key) : `item ${d.index}`}: ${d.name}: ${d.message} (${d.tries} ${d.tries === 1 ? 'try' : 'tries'})`);
    out += field('failed items', `${failedItemsText(doc, 20)}\n${terminalLines(first.join('\n'))}${r.failed > first.length ? `\n… (${r.failed - first.length} more)` : ''}\nthe next run runs them again; 'safe-state reset --failed' forgets them`);
  }
  out += field('runs', `${r.runs} started`);
  out += field('started', `${formatTime(r.createdAt)} (${formatAgo(r.createdAt, now)})`);
  out += field('last update', `${formatTime(r.updatedAt)} (${formatAgo(r.updatedAt, now)})`);
  const f = r.lastFailure;
  if (f) {
    const at = new Date(f.at);
    const when = Number.isNaN(at.getTime()) ? terminalText(f.at) : `${formatTime(at)} (${formatAgo(at, now)})`;
    const stack = f.stack && f.stack.startsWith(`${f.name}: `) ? f.stack : [`${f.name}: ${f.message}`, f.stack].filter(Boolean).join('\n');
    out += field('last failure', `${f.index !== null ? `at item ${f.index}, ` : ''}${when}\n${terminalLines(stack)}`);
  } else {
    out += field('last failure', 'none');
  }
  if (doc.state !== null) out += field('saved state', inspectValue(doc.state));
  if (doc.frozenState !== null) out += field('fields', inspectValue(doc.frozenState));
  if (doc.results.size > 0) out += field('results', `${doc.results.size} stored (show --json lists them)`);
  return out;
}

/**
 * `safe-state show <job>`: one job in detail. Unreadable → {@link CheckpointCorruptError} (exit 3).
 * @internal
 */
export async function showCommand({ args, selected, io }: CommandContext): Promise<number> {
  const job = await resolveJob(selected, args.job!);
  const r = await readJob(selected.backend, job);
  if (!r) throw new JobNotFoundError(job, selected.where);
  io.stdout.write(args.json ? printJson(jobDetailJson(r)) : renderShow(r, io.now()));
  return ExitCode.OK;
}
