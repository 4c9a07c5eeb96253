import * as fs from 'node:fs';
import * as path from 'node:path';
import { StateBackend, type WriteOptions } from '../state-backend';
import type { BackendLock, LockHolder } from '../lock';
import { BackendError } from '../../errors/backend-error';
import { CheckpointCorruptError } from '../../errors/checkpoint-corrupt-error';
import { InvalidOptionsError } from '../../errors/invalid-options-error';
import { slugOf } from './slug';
import { decodeJournal, encodeHeader, encodeRecords, JournalDamage } from './journal';
import { lockFile } from './file-lock';
import { phaseHook } from '../../util/test-phase';
import { prepareStateDir } from './state-dir';
import { defaultStateDir } from '../../util/default-state-dir';
import { createExclusiveSync, openAppendSync, openDirSync, READ_NOFOLLOW, unlinkQuietly } from './no-follow';
import { NotAFile, readCheckpointFile } from './bounded-read';
import { PayloadError } from '../../state/limits';
import { GroupCommit } from './group-commit';

/**
 * Writes all of `text` (a short write, as on ENOSPC, continues or throws; it never passes as done).
 * The string goes to `write` as it is: Node encodes a short one without allocating a Buffer, which
 * saves about a fifth of a per-item 'process' save (bench: File 'process' rows). Only a short write
 * encodes it here, to go on from the byte where the write stopped.
 */
function writeAllSync(fd: number, text: string): void {
  const written = fs.writeSync(fd, text);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (written >= bytes) return;
  const buf = Buffer.from(text, 'utf8');
  for (let off = written; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off);
}


/**
 * Options of {@link FileBackend}.
 *
 * @example
 * ```ts
 * const backend = new FileBackend({ dir: '/var/lib/myapp/checkpoints', staleMs: 60_000 });
 * ```
 */
export interface FileBackendOptions {
  /**
   * Directory of the checkpoint files, created 0700 (with a `.gitignore` holding `*`) when missing.
   * An existing one must be a directory (not a link) of this user that group and others cannot
   * write to (else BackendError: `chmod 700 <dir>`). Default: the `SAFE_STATE_DIR` environment
   * variable, else `.safe_state`; relative to the working directory.
   */
  dir?: string;
  /**
   * A lock held by a process on another host is taken over when its heartbeat is older than this
   * (ms, default 30 000). A holder on this host is taken over as soon as its process is gone.
   */
  staleMs?: number;
}

const EXT = '.safestate';
const STRICT: WriteOptions = { durability: 'strict' };

/**
 * The default backend: one file per job, `<dir>/<slug>.safestate`, an append-only journal of
 * checksummed records, compacted by atomic replacement (write a temporary file, fsync, rename,
 * fsync the directory). A crash at any instant leaves a readable file holding every record that had
 * counted; a torn last record is dropped on load. Files are created 0600 and the directory 0700.
 * Runs of one job are excluded with a lock directory (`<file>.lock`, one `mkdir`). See docs/format.md
 * for the format.
 *
 * @example
 * ```ts
 * const backend = new FileBackend({ dir: '/var/lib/myapp/checkpoints' });
 * class Job { @SafeState({ name: 'nightly', backend }) async run(xs: string[]) { ... } }
 * ```
 */
export class FileBackend extends StateBackend {
  /** Absolute directory of the checkpoint files. */
  readonly dir: string;
  private readonly staleMs: number;
  private readonly appendFds = new Map<string, number>();
  /** group commit of the async appends with durability 'strict', per append handle */
  private readonly groups = new Map<string, GroupCommit>();
  private dirReady = false;

  /** @param options - see {@link FileBackendOptions} */
  constructor(options: FileBackendOptions = {}) {
    super();
    if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '' || options.dir.includes('\0'))) {
      throw new InvalidOptionsError('dir', `FileBackend dir must be a non-empty path (got ${JSON.stringify(options.dir)})`);
    }
    if (options.staleMs !== undefined && !(Number.isFinite(options.staleMs) && options.staleMs > 0)) {
      throw new InvalidOptionsError('staleMs', `FileBackend staleMs must be a positive number (got ${options.staleMs})`);
    }
    this.dir = path.resolve(options.dir ?? defaultStateDir());
    this.staleMs = options.staleMs ?? 30_000;
  }

  /** Path of a job's checkpoint file (always inside {@link FileBackend.dir}). */
  override location(jobName: string): string {
    return path.join(this.dir, slugOf(jobName) + EXT);
  }

  private ensureDir(): void {
    if (this.dirReady) return;
    prepareStateDir(this.dir);
    this.dirReady = true;
  }

  /** @inheritDoc */
  async load(jobName: string): Promise<string | null> {
    const file = this.location(jobName);
    let content: string | null;
    try {
      content = await readCheckpointFile(file); // a file over the size limit is refused before it is read
    } catch (e) {
      if (e instanceof PayloadError || e instanceof NotAFile) throw new CheckpointCorruptError(jobName, `${file}:1`, e.message);
      throw fileError('read', file, e);
    }
    return content === null ? null : this.decode(jobName, file, content);
  }

  private decode(jobName: string, file: string, content: string): string {
    try {
      const journal = decodeJournal(content);
      if (journal.jobName !== jobName) {
        throw new JournalDamage(1, `the file belongs to job '${journal.jobName}'`);
      }
      return journal.text;
    } catch (e) {
      if (e instanceof JournalDamage) throw new CheckpointCorruptError(jobName, `${file}:${e.line}`, e.message);
      throw e;
    }
  }

  /** @inheritDoc */
  async save(jobName: string, data: string, options: WriteOptions = STRICT): Promise<void> {
    this.saveSync(jobName, data, options);
  }

  /**
   * Atomic replacement: temporary file (0600), fsync, rename over, fsync of the directory
   * (the fsyncs only with `durability: 'strict'`).
   * @param jobName - the job
   * @param data - the text
   * @param options - durability wanted by the job
   */
  override saveSync(jobName: string, data: string, options: WriteOptions = STRICT): void {
    this.ensureDir();
    phaseHook?.('S');
    const file = this.location(jobName);
    this.closeAppend(jobName);
    const tmp = `${file}.${process.pid}.tmp`;
    const strict = options.durability === 'strict';
    try {
      const fd = createExclusiveSync(tmp); // a link planted at the name is removed, never written through
      try {
        writeAllSync(fd, encodeHeader(jobName) + encodeRecords(data));
        if (strict) {
          phaseHook?.('F');
          fs.fsyncSync(fd);
        }
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
      if (strict) this.syncDir();
    } catch (e) {
      unlinkQuietly(tmp);
      throw fileError('save', file, e);
    }
    phaseHook?.('D');
  }

  private syncDir(): void {
    const fd = openDirSync(this.dir);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  private appendFd(jobName: string): number {
    let fd = this.appendFds.get(jobName);
    if (fd === undefined) {
      fd = openAppendSync(this.location(jobName)); // ELOOP if a link was put in the file's place
      this.appendFds.set(jobName, fd);
    }
    return fd;
  }

  private closeAppend(jobName: string): void {
    const fd = this.appendFds.get(jobName);
    if (fd === undefined) return;
    this.appendFds.delete(jobName);
    const group = this.groups.get(jobName);
    if (group) {
      this.groups.delete(jobName);
      group.close(); // once its fdatasyncs in flight are done
      return;
    }
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
  }

  /**
   * Appends checksummed records and, with `durability: 'strict'`, fdatasyncs them.
   * @param jobName - the job
   * @param records - the lines to add
   * @param options - durability wanted by the job
   */
  override appendSync(jobName: string, records: string, options: WriteOptions = STRICT): void {
    phaseHook?.('S');
    try {
      const fd = this.appendFd(jobName);
      writeAllSync(fd, encodeRecords(records));
      if (options.durability === 'strict') {
        phaseHook?.('F');
        fs.fdatasyncSync(fd);
      }
    } catch (e) {
      this.closeAppend(jobName);
      throw fileError('append to', this.location(jobName), e);
    }
    phaseHook?.('D');
  }

  /**
   * Appends checksummed records (written at once, so concurrent appends land in call order) and,
   * with `durability: 'strict'`, resolves once an fdatasync that started after the write completed.
   * The fdatasync runs off the main thread, and appends that arrive while one is in flight share
   * the next one (group commit, see group-commit.ts): `concurrently()` pays one fdatasync per group
   * of completions, not per item.
   * @param jobName - the job
   * @param records - the lines to add
   * @param options - durability wanted by the job
   */
  override async append(jobName: string, records: string, options: WriteOptions = STRICT): Promise<void> {
    phaseHook?.('S');
    try {
      const fd = this.appendFd(jobName);
      writeAllSync(fd, encodeRecords(records));
      if (options.durability === 'strict') {
        phaseHook?.('F');
        await this.groupOf(jobName, fd).sync();
      }
    } catch (e) {
      this.closeAppend(jobName);
      throw fileError('append to', this.location(jobName), e);
    }
    phaseHook?.('D');
  }

  private groupOf(jobName: string, fd: number): GroupCommit {
    let group = this.groups.get(jobName);
    if (group === undefined || group.fd !== fd) {
      group = new GroupCommit(fd);
      this.groups.set(jobName, group);
    }
    return group;
  }

  /** @inheritDoc */
  async delete(jobName: string): Promise<void> {
    this.closeAppend(jobName);
    const file = this.location(jobName);
    try {
      await fs.promises.unlink(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new BackendError(`cannot delete ${file}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** @inheritDoc */
  async exists(jobName: string): Promise<boolean> {
    return fs.existsSync(this.location(jobName));
  }

  /**
   * Takes the job's lock (`<file>.lock`, a directory made with one `mkdir`). A holder on this host whose process is
   * gone is taken over at once; a holder on another host when its heartbeat is older than `staleMs`.
   * @param jobName - the job
   * @param holder - who asks
   */
  override async lock(jobName: string, holder: LockHolder): Promise<BackendLock> {
    this.ensureDir();
    const file = this.location(jobName);
    const lock = await lockFile(file, jobName, holder, {
      staleMs: this.staleMs,
      warn: (m) => process.emitWarning(m, { code: 'SAFE_STATE_LOCK_LOST' }),
    });
    this.removeStaleTemporaries(file);
    return lock;
  }

  /** Temporary files of saves cut short by a crash (`<file>.<pid>.tmp`); we hold the lock, so none is live. */
  private removeStaleTemporaries(file: string): void {
    const prefix = path.basename(file) + '.';
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.startsWith(prefix) && e.endsWith('.tmp')) {
        try {
          fs.unlinkSync(path.join(this.dir, e));
        } catch {
          /* gone already */
        }
      }
    }
  }

  /** Job names of the checkpoint files in {@link FileBackend.dir} (read from each file's header). */
  override async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await fs.promises.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new BackendError(`cannot list ${this.dir}: ${(e as Error).message}`, { cause: e });
    }
    const names: string[] = [];
    for (const entry of entries.filter((e) => e.endsWith(EXT)).sort()) {
      const name = readJobName(path.join(this.dir, entry));
      if (name !== null) names.push(name);
    }
    return names;
  }

  /** Closes append handles. */
  override async close(): Promise<void> {
    for (const job of [...this.appendFds.keys()]) this.closeAppend(job);
  }
}

function readJobName(file: string): string | null {
  try {
    const fd = fs.openSync(file, READ_NOFOLLOW);
    try {
      const buf = Buffer.alloc(16 * 1024);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      const header = buf.subarray(0, n).toString('utf8').split('\n', 1)[0];
      const m = /^safestate-journal \d+ (".*")$/.exec(header);
      return m ? (JSON.parse(m[1]) as string) : null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/**
 * A BackendError for a failed file operation, naming the file; a symbolic link at the name
 * (`ELOOP` under `O_NOFOLLOW`) is said in words.
 */
function fileError(action: string, file: string, e: unknown): BackendError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ELOOP' ? `${file} is a symbolic link; safe-state does not follow links in its state directory (remove it)` : (e as Error).message;
  return new BackendError(`cannot ${action} ${file}: ${why}`, { cause: e });
}
