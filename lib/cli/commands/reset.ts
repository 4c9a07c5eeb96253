import { asBackendError } from '../../engine/backend-call';
import { encodeFull } from '../../state/checkpoint-codec';
import { keyringFor } from '../../state/keyring';
import { isEncrypted, Sealer } from '../../state/sealer';
import { resetItems, type ResetOutcome } from '../../state/checkpoint-doc';
import { ExitCode } from '../exit-codes';
import { JobNotFoundError, UsageError } from '../cli-errors';
import { readJob, report, type JobReport } from '../read-job';
import { recordsOf } from '../../backends/transactional-records';
import { resolveJob } from '../resolve-job';
import { matchKey, parseItemRanges, parseKeys, rangesText } from '../item-list';
import { printJson } from '../json-output';
import { firstUndone } from '../job-details';
import type { CommandContext } from '../context';
import { withJobLock } from './job-lock';
import { terminalText } from '../../util/terminal-text';

interface Done {
  before: JobReport;
  after: JobReport;
  outcome: ResetOutcome;
  /** what was named, for messages: `1,5-9` or `"u1", "u2"` */
  named: string;
}

/** Applies --items / --keys to the checkpoint and saves it when something changed. */
async function reset(ctx: CommandContext, job: string): Promise<Done> {
  const { args, selected } = ctx;
  const before = await readJob(selected.backend, job);
  if (!before) throw new JobNotFoundError(job, selected.where);
  if (!(await selected.backend.exists(job))) {
    throw new UsageError(`job '${job}' is a shared job (workers: 'shared'): its items cannot be reset one by one; 'safe-state clear' removes its record`);
  }
  const doc = before.doc; // `before` keeps the figures read; `doc` is changed below
  let outcome: ResetOutcome;
  let named: string;
  if (args.failed) {
    // the failed items stay marked done: forgotten, not rerun
    const n = doc.failed?.count ?? 0;
    doc.failed = null;
    if (n > 0) doc.updatedAt = Date.now();
    outcome = { reset: n, named: n };
    named = 'failed items';
  } else if (args.items !== null) {
    if (doc.keys) throw new UsageError(`job '${job}' resumes by key (the key option): name its items with --keys, not --items`);
    const ranges = parseItemRanges(args.items);
    const last = ranges[ranges.length - 1][1];
    if (doc.totalItems !== null && last >= doc.totalItems) {
      throw new UsageError(`--items: item ${last} is out of range: job '${job}' has ${doc.totalItems} item${doc.totalItems === 1 ? '' : 's'}${doc.totalItems > 0 ? ` (0-${doc.totalItems - 1})` : ''}`);
    }
    outcome = resetItems(doc, { ranges }, Date.now());
    named = `item${ranges.length === 1 && ranges[0][0] === ranges[0][1] ? '' : 's'} ${rangesText(ranges)}`;
  } else {
    if (!doc.keys) throw new UsageError(`job '${job}' resumes by position, not by key: name its items with --items (0-based indices)`);
    const { values, exact } = parseKeys(args.keys!);
    const keys = values.map((v) => matchKey(v, exact, doc.keys!.keys));
    outcome = resetItems(doc, { keys }, Date.now());
    named = `key${keys.length === 1 ? '' : 's'} ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  if (outcome.reset > 0) {
    // sealed again with SAFE_STATE_SECRET when it is set (readJob refused the text otherwise)
    const stored = await selected.backend.load(job);
    const keyring = keyringFor({ encrypt: stored !== null && isEncrypted(stored) });
    const text = keyring ? new Sealer(keyring, job).sealFull(encodeFull(doc)) : encodeFull(doc);
    try {
      await selected.backend.save(job, text, { durability: 'strict' });
      // items committed inside transactions (exactly-once records) are in the saved text now, minus
      // the ones reset: the records must go, or the next load would mark those done again
      const records = recordsOf(selected.backend);
      if (records) await records.deleteRecords((await records.readRecords(job)).map((r) => r.id));
    } catch (e) {
      throw asBackendError(e, `cannot save the checkpoint of job '${job}'`);
    }
  }
  const after = report(doc, before.location);
  return { before, after, outcome, named };
}

/**
 * `safe-state reset <job> --items LIST` (or `--keys LIST`): marks the named items not done under
 * the job's lock, so that the next run processes them again. See docs/cli.md for the semantics.
 * @internal
 */
export async function resetCommand(ctx: CommandContext): Promise<number> {
  const { args, selected, io } = ctx;
  const job = await resolveJob(selected, args.job!);
  const { before, after, outcome, named } = await withJobLock(ctx, job, () => reset(ctx, job));
  if (args.failed) return reportForgotten(ctx, job, outcome.reset, after);
  if (args.json) {
    io.stdout.write(printJson({
      job,
      reset: outcome.reset,
      named: outcome.named,
      done: after.done,
      total: after.total,
      complete: after.complete,
      nextItem: firstUndone(after),
    }));
    return ExitCode.OK;
  }
  if (outcome.reset === 0) {
    io.stdout.write(`nothing to reset: none of ${terminalText(named)} of job '${terminalText(job)}' ${outcome.named === 1 ? 'is' : 'are'} done\n`);
    return ExitCode.OK;
  }
  const notDone = outcome.named - outcome.reset;
  let text = `reset ${outcome.reset} item${outcome.reset === 1 ? '' : 's'} of job '${terminalText(job)}' (${terminalText(named)}`;
  text += notDone > 0 ? `; ${notDone} of them ${notDone === 1 ? 'was' : 'were'} not done)` : ')';
  text += `: now ${after.done}/${after.total ?? '?'} done; the next run processes ${outcome.reset === 1 ? 'it' : 'them'} again`;
  if (before.complete) text += ' (the job was complete; its checkpoint is resumable again)';
  io.stdout.write(text + '\n');
  return ExitCode.OK;
}

/** What `reset --failed` prints: the failed items forgotten (they stay done; the next run skips them). */
function reportForgotten({ args, io }: CommandContext, job: string, forgotten: number, after: JobReport): number {
  if (args.json) {
    io.stdout.write(printJson({ job, forgotten, done: after.done, total: after.total, complete: after.complete, nextItem: firstUndone(after) }));
  } else if (forgotten === 0) {
    io.stdout.write(`nothing to forget: job '${terminalText(job)}' has no failed items\n`);
  } else {
    io.stdout.write(`forgot ${forgotten} failed item${forgotten === 1 ? '' : 's'} of job '${terminalText(job)}': ${forgotten === 1 ? 'it counts' : 'they count'} as done now (${after.done}/${after.total ?? '?'}); the next run does not run ${forgotten === 1 ? 'it' : 'them'}\n`);
  }
  return ExitCode.OK;
}
