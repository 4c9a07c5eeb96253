import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackendError } from '../errors/backend-error';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import type { TwoPhaseSupport } from './adapter';
import { defaultStateDir } from '../util/default-state-dir';
import { prepareStateDir } from '../backends/file/state-dir';
import { appendExistingSync, createExclusiveSync, openDirSync, readNoFollowSync } from '../backends/file/no-follow';

/**
 * A commit decision of a two-phase transaction, as its {@link DecisionLog} holds it.
 *
 * @example
 * ```ts
 * const d = await log.lookup(txId);
 * if (d) console.log(`${d.txId} decided commit at ${d.at}; done: ${d.done.join(', ')}`);
 * ```
 */
export interface CommitDecision {
  /** The transaction id. */
  readonly txId: string;
  /** Ids of every participant's branch. */
  readonly branches: readonly string[];
  /**
   * For each branch, the server (and database) it was prepared on as its adapter names it
   * ({@link TwoPhaseSupport.serverId}), or `null`: lets recovery tell that a branch no longer
   * prepared there has committed, so the decision can be forgotten.
   */
  readonly servers: readonly (string | null)[];
  /** When the decision was taken (ISO 8601). */
  readonly at: string;
  /** Branches known to be committed already (kept only to tell when the decision can be forgotten). */
  readonly done: readonly string[];
}

/**
 * Where the coordinator of a `{ twoPhase: true }` transaction records its commit decision,
 * durably, between phase 1 (every participant prepared) and phase 2 (every participant committed).
 * Recovery commits the prepared branches of a transaction whose decision it finds and rolls back
 * those of a transaction without one (presumed abort). The default is a {@link FileDecisionLog}
 * in `transactions/` of the default state directory (`SAFE_STATE_DIR`, else `.safe_state`); pass
 * another implementation as the `decisionLog` option.
 *
 * @example
 * ```ts
 * await transaction([mysqlPool, pgPool], { twoPhase: true, decisionLog: new FileDecisionLog('/var/lib/app/tx') }, async (tx) => { ... });
 * ```
 */
export interface DecisionLog {
  /**
   * A stable identifier of the log's storage (a path, a table): transaction ids carry a hash of it,
   * and recovery only decides the transactions whose decisions are logged where it looks.
   */
  readonly id: string;
  /** Records a commit decision; resolves only once it is durable (survives power loss). */
  record(decision: Omit<CommitDecision, 'done'>): Promise<void>;
  /** Notes that a branch committed (need not be durable: it only lets the decision be forgotten). */
  markDone(txId: string, branch: string): Promise<void>;
  /** The decision of a transaction, or `null` when none was recorded. */
  lookup(txId: string): Promise<CommitDecision | null>;
  /** Removes what the log holds about a transaction (its decision, or a half-written one). */
  forget(txId: string): Promise<void>;
  /**
   * Ids of the transactions the log holds anything about (optional): recovery uses it to forget
   * decisions whose branches have all committed although their coordinator died before it could.
   */
  list?(): Promise<string[]>;
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openDirSync(dir);
    fs.fsyncSync(fd);
  } catch {
    /* some platforms cannot fsync a directory; the rename is then as durable as it gets */
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

const ID_RE = /^ss2pc-[0-9a-z-]+$/;

/**
 * The directory of the default decision log: `transactions` in the default state directory
 * (`SAFE_STATE_DIR`, else `.safe_state`), read at each call. Relative to the working directory.
 * @internal
 */
export function defaultDecisionLogDir(): string {
  return path.join(defaultStateDir(), 'transactions');
}

/**
 * The default {@link DecisionLog}: one small file per decided transaction in a directory, created
 * like a FileBackend's state directory (0700, with a `.gitignore` holding `*`, when missing; an
 * existing one must be a real directory of this user that group and others cannot write to).
 * Files are 0600, and never opened through a symbolic link planted at their names.
 *
 * - `record` writes `<txId>.tmp`, fsyncs it, renames it to `<txId>.commit` and fsyncs the
 *   directory: the decision exists completely or not at all.
 * - `markDone` appends `done <branch>` lines without fsync.
 * - `forget` removes both files. A decision of a transaction whose branches all committed is
 *   removed at once; one left by a crash is removed by the recovery that finishes it.
 *
 * The directory must be the same for the coordinator and for the recovery after a crash (the
 * transaction ids name it by a hash of its real path). It is local to the host: a process on
 * another host neither sees nor resolves these transactions.
 *
 * @example
 * ```ts
 * const log = new FileDecisionLog('/var/lib/app/safe-state-tx');
 * await transaction([a, b], { twoPhase: true, decisionLog: log }, async (tx) => { ... });
 * ```
 */
export class FileDecisionLog implements DecisionLog {
  /** The directory, as an absolute real path. */
  readonly dir: string;
  /** `file:` followed by the directory's real path. */
  readonly id: string;

  /**
   * Creates the directory when missing. A directory that cannot be made or used (a symbolic link,
   * another user's, writable by others, not writable) fails with a {@link BackendError} naming it.
   * @param dir - the directory (relative to the working directory); default `transactions` in the
   *   default state directory: `$SAFE_STATE_DIR/transactions`, else `.safe_state/transactions`
   */
  constructor(dir?: string) {
    if (dir !== undefined && (typeof dir !== 'string' || dir === '' || dir.includes('\0'))) {
      throw new InvalidOptionsError('decisionLog', `the FileDecisionLog directory must be a non-empty path (got ${JSON.stringify(dir)})`);
    }
    const abs = path.resolve(dir ?? defaultDecisionLogDir());
    // the default lives in the state directory: that one is made (and checked) as a FileBackend would
    if (dir === undefined) prepareStateDir(path.dirname(abs));
    prepareStateDir(abs);
    try {
      this.dir = fs.realpathSync(abs);
    } catch (e) {
      throw new BackendError(`cannot use the transaction decision log directory ${abs}: ${(e as Error).message}`, { cause: e });
    }
    this.id = `file:${this.dir}`;
  }

  private file(txId: string, ext: 'commit' | 'tmp'): string {
    if (!ID_RE.test(txId)) throw new TypeError(`invalid transaction id ${JSON.stringify(txId)}`);
    return path.join(this.dir, `${txId}.${ext}`);
  }

  /** {@inheritDoc DecisionLog.record} */
  async record(decision: Omit<CommitDecision, 'done'>): Promise<void> {
    const tmp = this.file(decision.txId, 'tmp');
    const line = JSON.stringify({ v: 1, txId: decision.txId, branches: decision.branches, servers: decision.servers, at: decision.at }) + '\n';
    try {
      const fd = createExclusiveSync(tmp); // a link planted at the name is removed, never written through
      try {
        fs.writeFileSync(fd, line);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file(decision.txId, 'commit'));
      fsyncDir(this.dir);
    } catch (e) {
      throw new BackendError(`cannot record the commit decision of transaction ${decision.txId} in ${this.dir}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** {@inheritDoc DecisionLog.markDone} */
  async markDone(txId: string, branch: string): Promise<void> {
    try {
      appendExistingSync(this.file(txId, 'commit'), `done ${branch}\n`);
    } catch {
      /* only housekeeping: a lost mark leaves an inert decision file behind */
    }
  }

  /** {@inheritDoc DecisionLog.lookup} */
  async lookup(txId: string): Promise<CommitDecision | null> {
    const file = this.file(txId, 'commit');
    let text: string;
    try {
      text = readNoFollowSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new BackendError(`cannot read the commit decision ${file}: ${(e as Error).message}`, { cause: e });
    }
    const lines = text.split('\n');
    let head: { txId?: unknown; branches?: unknown; servers?: unknown; at?: unknown };
    try {
      head = JSON.parse(lines[0]!);
    } catch {
      head = {};
    }
    if (head.txId !== txId || !Array.isArray(head.branches) || typeof head.at !== 'string') {
      // renamed into place only after an fsync: a damaged decision is never a reason to roll back
      throw new BackendError(`the commit decision ${file} is damaged; resolve transaction ${txId} by hand (XA RECOVER / pg_prepared_xacts) and remove the file`);
    }
    const branches = head.branches as string[];
    const done: string[] = [];
    // only complete lines (a torn last one is the trace of a crash) naming a branch of this transaction
    for (const l of lines.slice(1, -1)) if (l.startsWith('done ') && branches.includes(l.slice(5)) && !done.includes(l.slice(5))) done.push(l.slice(5));
    const servers = Array.isArray(head.servers) && head.servers.length === branches.length ? (head.servers as unknown[]).map((x) => (typeof x === 'string' ? x : null)) : branches.map(() => null);
    return { txId, branches, servers, at: head.at, done };
  }

  /** {@inheritDoc DecisionLog.list} */
  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (e) {
      throw new BackendError(`cannot list the decision log ${this.dir}: ${(e as Error).message}`, { cause: e });
    }
    const ids = new Set<string>();
    for (const n of names) {
      const m = /^(ss2pc-[0-9a-z-]+)\.(?:commit|tmp)$/.exec(n);
      if (m) ids.add(m[1]!);
    }
    return [...ids];
  }

  /** {@inheritDoc DecisionLog.forget} */
  async forget(txId: string): Promise<void> {
    for (const ext of ['commit', 'tmp'] as const) {
      try {
        fs.unlinkSync(this.file(txId, ext));
      } catch {
        /* not there */
      }
    }
  }
}
