/**
 * A custom StateBackend: one JSON document per job in a directory of your choice.
 *
 * The four required methods (`load`, `save`, `delete`, `exists`) are all a backend needs: the
 * engine hands over opaque text and takes it back. This one also overrides three optional hooks:
 * `lock` (so that two processes cannot run the same job at once), `list` (job names) and
 * `location` (for messages). It leaves out the incremental and synchronous hooks (`append`,
 * `saveSync`, `appendSync`): the engine then writes the whole (small, O(1)) checkpoint each time.
 *
 * Why one document per job rather than one file for all jobs: two processes running two different
 * jobs would each read, change and rewrite the shared file, and one would silently undo the
 * other's save. Separate documents need no lock between jobs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StateBackend, JobLockedError, CheckpointCorruptError, type BackendLock, type LockHolder } from '../../lib/index';

/** What a job's document holds. */
interface JobDocument {
  /** the job name (the file name is only a hash of it) */
  job: string;
  /** the engine's text, exactly as handed over */
  data: string;
  savedAt: string;
}

export class JsonDirBackend extends StateBackend {
  readonly dir: string;

  constructor(dir: string) {
    super();
    this.dir = path.resolve(dir);
  }

  /** `<dir>/<sha256 of the name, 16 hex>.json`: any job name gives a safe file name. */
  private fileOf(jobName: string): string {
    return path.join(this.dir, createHash('sha256').update(jobName).digest('hex').slice(0, 16) + '.json');
  }

  private read(file: string, jobName: string): JobDocument | null {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e; // an I/O error: the engine reports it as a BackendError, with this error as its cause
    }
    try {
      const doc = JSON.parse(text) as JobDocument;
      if (typeof doc.job !== 'string' || typeof doc.data !== 'string') throw new Error('fields missing');
      return doc;
    } catch (e) {
      // damaged data: say so, never answer null (that would silently start the job over)
      throw new CheckpointCorruptError(jobName, file, `not a job document (${(e as Error).message})`);
    }
  }

  async load(jobName: string): Promise<string | null> {
    const doc = this.read(this.fileOf(jobName), jobName);
    return doc && doc.job === jobName ? doc.data : null;
  }

  /** Atomic replacement: write a temporary file, flush it to disk, rename it over the document. */
  async save(jobName: string, data: string): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(jobName);
    const tmp = `${file}.${process.pid}.tmp`;
    const doc: JobDocument = { job: jobName, data, savedAt: new Date().toISOString() };
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, JSON.stringify(doc, null, 1) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }

  async delete(jobName: string): Promise<void> {
    fs.rmSync(this.fileOf(jobName), { force: true });
  }

  async exists(jobName: string): Promise<boolean> {
    return (await this.load(jobName)) !== null;
  }

  override async list(): Promise<string[]> {
    if (!fs.existsSync(this.dir)) return [];
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        try {
          return this.read(path.join(this.dir, f), f)?.job;
        } catch {
          return undefined; // damaged: load() reports it
        }
      })
      .filter((j): j is string => typeof j === 'string')
      .sort();
  }

  override location(jobName: string): string {
    return this.fileOf(jobName);
  }

  /**
   * One run of a job at a time, across processes: `<document>.lock` is created exclusively
   * (`wx`) and holds the holder's pid and host. A lock whose holder process is gone (same host)
   * is taken over; any other held lock fails with JobLockedError naming the holder.
   */
  override async lock(jobName: string, holder: LockHolder): Promise<BackendLock> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lockFile = `${this.fileOf(jobName)}.lock`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(lockFile, JSON.stringify(holder), { flag: 'wx', mode: 0o600 });
        let released = false;
        const releaseSync = () => {
          if (released) return;
          released = true;
          fs.rmSync(lockFile, { force: true });
        };
        return { releaseSync, release: async () => releaseSync() };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let current: LockHolder | null = null;
      try {
        current = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as LockHolder;
      } catch {
        /* being written right now, or gone: try again */
      }
      if (current && !holderIsGone(current)) throw new JobLockedError(jobName, current);
      if (current) fs.rmSync(lockFile, { force: true }); // its process died without releasing it
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new JobLockedError(jobName, null);
  }
}

/** Whether a lock holder on this host no longer runs. (Other hosts: never assumed gone.) */
function holderIsGone(h: LockHolder): boolean {
  if (h.host !== os.hostname() || h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
