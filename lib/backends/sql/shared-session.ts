import type { SqlSession } from './sql-driver';

/** One reference to the shared session. @internal */
export interface SessionRef {
  session: SqlSession;
  /** Drops the reference; `broken` when the connection failed (it is then not used again). */
  release(broken: boolean): Promise<void>;
}

interface Entry {
  session: SqlSession;
  refs: number;
  broken: boolean;
}

/**
 * The one connection an {@link SqlBackend} holds while any of its runs holds a lock (MySQL and
 * PostgreSQL): the server locks live on it (one connection can hold any number of them), and every
 * operation of the backend goes through it meanwhile, so a pool never needs more than one
 * connection for a backend, whatever the number of its running jobs and whatever other entries
 * (idempotency records) they write. Given back to the pool when the last lock is released.
 * @internal
 */
export class SharedSession {
  private current: Entry | null = null;
  private opening: Promise<Entry> | null = null;

  constructor(private readonly open: () => Promise<SqlSession>) {}

  /** The session while one is held, else null. */
  get session(): SqlSession | null {
    return this.current && !this.current.broken ? this.current.session : null;
  }

  /** A reference to the session, opening it when none is held. */
  async acquire(): Promise<SessionRef> {
    let entry = this.current;
    if (!entry || entry.broken) {
      this.opening ??= this.open().then(
        (session) => {
          this.opening = null;
          this.current = { session, refs: 0, broken: false };
          return this.current;
        },
        (e: unknown) => {
          this.opening = null;
          throw e;
        },
      );
      entry = await this.opening;
    }
    entry.refs++;
    let released = false;
    const e = entry;
    return {
      session: e.session,
      release: async (broken) => {
        if (released) return;
        released = true;
        e.refs--;
        if (broken) e.broken = true; // new locks get a new connection
        if (e.refs > 0) return;
        if (this.current === e) this.current = null;
        await e.session.release(e.broken).catch(() => undefined);
      },
    };
  }

  /**
   * The session's connection failed under an operation: later operations go through the pool (the
   * server locks on that connection are gone with it; fenced writes tell whether the runs still own
   * their jobs), and new locks get a new connection.
   */
  broke(session: SqlSession): void {
    if (this.current?.session === session) this.current.broken = true;
  }

  /** Gives the session back at once (the backend is closing). */
  async close(): Promise<void> {
    const e = this.current;
    this.current = null;
    if (e) await e.session.release(e.broken).catch(() => undefined);
  }
}
