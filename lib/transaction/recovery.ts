import { setTimeout as delay } from 'node:timers/promises';
import * as os from 'node:os';
import type { DecisionLog, CommitDecision } from './decision-log';
import type { Participant } from './participant';
import type { TwoPhaseSupport } from './adapter';
import { resolveParticipants } from './participant';
import { decisionLogOf } from './options';
import { acquireGates } from './connection-gate';
import { transactionState } from './shared-state';
import { hostTag, isOwnProcess, parseBranchId, parseTransactionId, shortHash, type ParsedTransactionId } from './xid';
import { holderIsDead } from '../backends/lock';
import { InvalidOptionsError } from '../errors/invalid-options-error';

/**
 * One prepared branch that recovery dealt with.
 *
 * @example
 * ```ts
 * for (const b of report.committed) console.log(`committed ${b.id} on ${b.participant}`);
 * ```
 */
export interface RecoveredBranch {
  /** The branch id (the XA transaction id / the PostgreSQL GID). */
  readonly id: string;
  /** The participant it was prepared on, as `#<position> <description>`. */
  readonly participant: string;
}

/**
 * A prepared branch that recovery left alone, and why.
 *
 * @example
 * ```ts
 * for (const s of report.skipped) console.warn(`left ${s.id} on ${s.participant}: ${s.reason}`);
 * ```
 */
export interface SkippedBranch extends RecoveredBranch {
  /** Why it was left alone (its coordinator is alive, runs on another host, logs elsewhere...). */
  readonly reason: string;
}

/**
 * What {@link recoverTransactions} did.
 *
 * @example
 * ```ts
 * const { committed, rolledBack, skipped } = await recoverTransactions([mysqlPool, pgPool]);
 * ```
 */
export interface RecoveryReport {
  /** Branches whose transaction had decided to commit: committed now. */
  readonly committed: RecoveredBranch[];
  /** Branches whose transaction never decided (its coordinator died before): rolled back now. */
  readonly rolledBack: RecoveredBranch[];
  /** Branches left prepared. */
  readonly skipped: SkippedBranch[];
}

/**
 * Options of {@link recoverTransactions}.
 *
 * @example
 * ```ts
 * await recoverTransactions([mysqlPool, pgPool], { decisionLog: '/var/lib/app/tx' });
 * ```
 */
export interface RecoveryOptions {
  /** The decision log the coordinators used (default `transactions` in the default state directory: `$SAFE_STATE_DIR/transactions`, else `.safe_state/transactions`). */
  decisionLog?: string | DecisionLog;
  /**
   * Also resolve branches whose coordinator looks alive or ran on another host (their decisions
   * must be in this same log). Only for when you know those coordinators are gone. Default `false`.
   */
  force?: boolean;
}

const KNOWN = new Set(['decisionLog', 'force']);

/**
 * Resolves the prepared branches on `parts` that crashed coordinators left behind: commit where
 * the decision log holds a commit decision, roll back where it holds none. Branches of
 * transactions in flight (in this process, or in a live process of this host), of other hosts and
 * of other decision logs are left alone.
 * @internal
 */
export async function recoverOn(parts: readonly Participant[], log: DecisionLog, force: boolean): Promise<RecoveryReport> {
  const report: RecoveryReport = { committed: [], rolledBack: [], skipped: [] };
  const logTag = shortHash(log.id);
  const host = hostTag();
  const inFlight = transactionState().inFlight;
  const decisions = new Map<string, CommitDecision | null>();
  /** per participant: our branch ids still prepared there once this recovery is through */
  const stillPrepared = new Map<Participant, Set<string>>();
  /** why a coordinator's transactions are not ours to resolve, or null when they are */
  const notOurs = (parsed: ParsedTransactionId): string | null => {
    if (parsed.logTag !== logTag) return 'its decision is logged in another decision log (pass the same decisionLog as its coordinator)';
    if (inFlight.has(parsed.txId)) return 'its transaction is in progress in this process';
    if (force || isOwnProcess(parsed)) return null;
    if (parsed.hostTag !== host) return 'it was coordinated by another host';
    if (!holderIsDead({ pid: parsed.pid, host: os.hostname(), since: 0, startTime: parsed.startTime })) return `its coordinator (pid ${parsed.pid}) is still running`;
    return null;
  };
  for (const p of parts) {
    const tp = p.adapter.twoPhase!;
    const left = new Set<string>();
    stillPrepared.set(p, left);
    for (const id of await tp.listPrepared(p.conn)) {
      const parsed = parseBranchId(id);
      if (!parsed) continue; // not safe-state's
      left.add(id);
      const entry = { id, participant: p.label };
      const skip = (reason: string) => report.skipped.push({ ...entry, reason });
      const why = notOurs(parsed);
      if (why) {
        skip(why);
        continue;
      }
      let d = decisions.get(parsed.txId);
      if (d === undefined) {
        d = await log.lookup(parsed.txId);
        decisions.set(parsed.txId, d);
      }
      const outcome = await resolveBranch(tp, p.conn, id, d ? 'commit' : 'rollback');
      if (outcome === 'held') {
        skip('a database session still holds it (its coordinator\'s connection has not been closed yet); recovery tries again next time');
        forgetRecovery(p, log);
      }
      else if (outcome === 'gone') skip('it was resolved meanwhile by another recovery');
      else (d ? report.committed : report.rolledBack).push(entry);
      if (outcome !== 'held') left.delete(id);
      if (d && outcome !== 'held') await log.markDone(parsed.txId, id);
    }
  }
  for (const [txId, d] of decisions) {
    if (!d) await log.forget(txId); // at most a half-written decision of a coordinator that died writing it
  }
  // decisions whose coordinator died after (or while) committing everything: forget them once
  // every branch is known to be committed (marked done, or no longer prepared on its server)
  const ids = (await log.list?.()) ?? [...decisions.keys()];
  for (const txId of ids) {
    if (decisions.get(txId) === null) continue; // forgotten above
    const parsed = parseTransactionId(txId);
    if (!parsed || notOurs(parsed)) continue;
    const d = await log.lookup(txId);
    if (!d) {
      await log.forget(txId); // a half-written decision: nothing was decided
      continue;
    }
    const committed = d.branches.every((b, i) => {
      if (d.done.includes(b)) return true;
      const server = d.servers[i];
      // after a decision every branch is prepared or committed: not prepared on its server = committed
      return server != null && parts.some((p) => serverIdOf(p) === server && !stillPrepared.get(p)!.has(b));
    });
    if (committed) await log.forget(txId);
  }
  return report;
}

/** The server a participant's prepared transactions live on, as its adapter names it. @internal */
export function serverIdOf(p: Participant): string | null {
  try {
    return p.adapter.twoPhase?.serverId?.(p.conn) ?? null;
  } catch {
    return null;
  }
}

/** A pause that keeps no process alive and that fake timers of test frameworks do not freeze. */
function sleep(ms: number): Promise<void> {
  return delay(ms, undefined, { ref: false });
}

/**
 * Commits or rolls back a prepared branch by id. MySQL/MariaDB answer "unknown XID" also for a
 * branch that is still attached to a session (a killed coordinator's connection that the server
 * has not noticed closing yet): so "unknown" is trusted only once the branch is no longer listed,
 * and a branch still listed is retried for a short while, then reported as held.
 */
async function resolveBranch(tp: TwoPhaseSupport, conn: unknown, id: string, how: 'commit' | 'rollback'): Promise<'done' | 'gone' | 'held'> {
  for (let attempt = 0; ; attempt++) {
    if (await (how === 'commit' ? tp.commitPrepared(conn, id) : tp.rollbackPrepared(conn, id))) return 'done';
    if (!(await tp.listPrepared(conn)).includes(id)) return 'gone';
    if (attempt >= 5) return 'held';
    await sleep(50 << attempt);
  }
}

/** Whether `p` still needs the once-per-process recovery for `log`; marks it done. @internal */
export function claimRecovery(p: Participant, log: DecisionLog): boolean {
  const key = p.conn as object;
  const recovered = transactionState().recovered;
  let logs = recovered.get(key);
  if (!logs) recovered.set(key, (logs = new Set()));
  if (logs.has(log.id)) return false;
  logs.add(log.id);
  return true;
}

/** Makes the next two-phase transaction on `p` recover again (after a phase-2 failure, or a failed recovery). @internal */
export function forgetRecovery(p: Participant, log: DecisionLog): void {
  transactionState().recovered.get(p.conn as object)?.delete(log.id);
}

/**
 * Resolves two-phase transactions that a crash left prepared on these connections: each prepared
 * branch whose transaction recorded a commit decision is committed, each one without a decision
 * is rolled back (its coordinator died before deciding), so locks are released and every
 * transaction ends all-committed or all-rolled-back.
 *
 * The next `{ twoPhase: true }` {@link transaction} on a connection does this by itself (once per
 * process and connection); call this to do it explicitly, e.g. at start-up or from an admin
 * script. Only safe-state's own branches are touched, and of those only the ones whose coordinator
 * ran on this host and is gone (unless `force`) and whose decision is in the given log; the rest
 * are reported as skipped. Connections that cannot take part in two-phase commit are refused
 * with {@link InvalidOptionsError}.
 *
 * @param connections - a connection, pool or knex instance, or a list of them
 * @param options - the decision log to read, and `force`
 * @returns what was committed, rolled back and left alone
 * @example
 * ```ts
 * const report = await recoverTransactions([mysqlPool, pgPool]);
 * console.log(`${report.committed.length} committed, ${report.rolledBack.length} rolled back`);
 * ```
 */
export async function recoverTransactions(connections: unknown, options: RecoveryOptions = {}): Promise<RecoveryReport> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionsError('options', 'recoverTransactions options must be an object');
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new InvalidOptionsError(k, `unknown recoverTransactions option '${k}' (known: ${[...KNOWN].join(', ')})`);
  const parts = resolveParticipants(connections, 'recoverTransactions');
  for (const p of parts) {
    if (!p.adapter.twoPhase) throw new InvalidOptionsError('connections', `recoverTransactions: participant ${p.label} cannot take part in two-phase commits, so it has nothing to recover`);
  }
  const log = decisionLogOf(options.decisionLog);
  const release = await acquireGates(parts.flatMap((p) => (p.exclusive ? [p.exclusive] : [])), (k) => parts.find((p) => p.exclusive === k)!.label);
  try {
    return await recoverOn(parts, log, options.force === true);
  } finally {
    release();
  }
}
