import type { ChunkClaim, SharedChunkStore, SharedJobLayout, SharedJobRecord, SharedJobStatus } from '../shared-chunks';
import type { FailureInfo } from '../../state/checkpoint-doc';
import type { Rows } from './sql-driver';
import type { SqlDialect } from './sql-options';
import { chunkStatements, chunkTableOf, type ChunkStatements } from './chunk-statements';
import { checkpointId } from './job-ids';
import { newToken, parseFailure, parseFingerprint } from '../shared-chunk-codec';
import { createTables } from './create-tables';

/** Runs one statement for the store (within the backend's deadline, errors as `BackendError`). @internal */
export type SqlRunner = (what: string, sql: string, params: unknown[], read: boolean) => Promise<Rows>;

/** Rows of chunks inserted per statement. */
const INSERT_BATCH = 200;

/** Whether an error (or its cause) says the table does not exist. @internal */
export function isMissingTable(e: unknown): boolean {
  for (let x = e as { code?: unknown; errno?: unknown; message?: unknown; cause?: unknown } | undefined, n = 0; x && n < 3; x = x.cause as typeof x, n++) {
    if (x.code === 'ER_NO_SUCH_TABLE' || x.errno === 1146 || x.code === '42P01' || /no such table/i.test(String(x.message))) return true;
  }
  return false;
}

/**
 * Whether an error (or its cause) is a deadlock or a lock wait timeout: the statement was rolled
 * back and can run again (MySQL/MariaDB 1213 and 1205, PostgreSQL 40P01 and 40001, SQLite busy).
 * @internal
 */
export function isRetryable(e: unknown): boolean {
  for (let x = e as { code?: unknown; errno?: unknown; cause?: unknown } | undefined, n = 0; x && n < 3; x = x.cause as typeof x, n++) {
    if (x.errno === 1213 || x.errno === 1205 || x.code === '40P01' || x.code === '40001' || x.code === 'SQLITE_BUSY') return true;
  }
  return false;
}

/** Attempts of a statement that meets deadlocks (workers claiming and marking rows of one table at once). */
const ATTEMPTS = 6;

/** Offsets of a `,a,b,c` text. */
function parseOffsets(text: unknown): Set<number> {
  const out = new Set<number>();
  if (text == null) return out;
  for (const p of String(text).split(',')) if (p !== '') out.add(Number(p));
  return out;
}

/**
 * The chunk store of {@link SqlBackend} (shared jobs): one row per chunk in `<table>_chunks`, claimed
 * with a conditional `UPDATE` that sets a fresh lease token (`… ORDER BY chunk LIMIT 1` on MySQL
 * and MariaDB, a `FOR UPDATE SKIP LOCKED` subquery on PostgreSQL, a subquery on SQLite, whose
 * writes are serialized anyway). Marks, renewals and completions are `UPDATE`s conditioned on the
 * token; where the database has no `UPDATE … RETURNING` (MySQL, MariaDB), a write is confirmed by
 * reading the token back (tokens are never reused, so reading ours back proves the write applied).
 * @internal
 */
export class SqlChunks implements SharedChunkStore {
  private readonly st: ChunkStatements;
  private ready: Promise<void> | null = null;

  constructor(
    dialect: SqlDialect,
    table: string,
    private readonly exec: SqlRunner,
  ) {
    this.st = chunkStatements(dialect, chunkTableOf(table));
  }

  /** Creates the chunk table when missing (once; retried after a failure). */
  private ensure(): Promise<void> {
    this.ready ??= createTables(this.exec, this.st.createTable, 'cannot create the chunk table').catch((e: unknown) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  /**
   * Runs a statement; one that meets a deadlock was rolled back by the database and runs again
   * (every statement here is one autocommit statement, so running it again is safe).
   */
  private async run(what: string, jobName: string, sql: string, params: unknown[]): Promise<Rows> {
    await this.ensure();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.exec(`${what} of shared job '${jobName}'`, sql, params, false);
      } catch (e) {
        if (attempt >= ATTEMPTS || !isRetryable(e)) throw e;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  /** A read that never creates the table: a missing table reads as no rows. */
  private async read(what: string, sql: string, params: unknown[]): Promise<Rows> {
    try {
      return await this.exec(what, sql, params, true);
    } catch (e) {
      if (isMissingTable(e)) return [];
      throw e;
    }
  }

  /**
   * Whether a token-conditioned write applied: RETURNING rows; else the count of matched rows the
   * driver reports (mysql2's `affectedRows`, which counts matched rows with its default
   * `FOUND_ROWS` flag); else, or when it says 0 (a connection without that flag counts changed
   * rows only), the token read back.
   */
  private async applied(rows: Rows, jobName: string, chunk: number, expect: string): Promise<boolean> {
    if (this.st.returning) return rows.length > 0;
    const affected = (rows as { affectedRows?: unknown }).affectedRows;
    if (typeof affected === 'number' && affected > 0) return true;
    const r = await this.run('cannot check a write', jobName, this.st.tokenOf, [checkpointId(jobName), chunk]);
    return r.length > 0 && String(r[0][0]) === expect;
  }

  async open(jobName: string, layout: SharedJobLayout, completedTtlMs: number): Promise<SharedJobRecord> {
    const id = checkpointId(jobName);
    let row: unknown[] | undefined = (await this.run('cannot open the record', jobName, this.st.jobRow, [id]))[0];
    if (row && Number(row[0]) === 1 && Number(row[1]) < Number(row[6])) {
      await this.run('cannot remove an expired record', jobName, this.st.deleteJob, [id]); // kept past its retention
      row = undefined;
    }
    if (!row) {
      const chunks = Math.ceil(layout.total / layout.chunkSize);
      const json = JSON.stringify({ total: layout.total, chunkSize: layout.chunkSize, fingerprint: layout.fingerprint });
      await this.run('cannot create the record', jobName, this.st.insertJob, [id, jobName, 0, 0, json]);
      // an empty job is complete at once (lease_until of a complete job is the end of its retention)
      if (chunks === 0) await this.run('cannot complete the record', jobName, this.st.completeJob, [Math.ceil(completedTtlMs), id]);
      row = (await this.run('cannot open the record', jobName, this.st.jobRow, [id]))[0];
    }
    const stored = JSON.parse(String(row?.[2] ?? '{}')) as { total?: number; chunkSize?: number; fingerprint?: unknown };
    const complete = Number(row?.[0]) === 1;
    const chunks = Math.ceil(Number(stored.total) / Number(stored.chunkSize));
    if (!complete && Number((await this.run('cannot count the chunks', jobName, this.st.countChunks, [id]))[0]?.[0]) < chunks) {
      // every worker makes sure every chunk row exists before it claims (idempotent inserts), so a
      // worker that died while creating them leaves nothing missing
      for (let c = 0; c < chunks; c += INSERT_BATCH) {
        const n = Math.min(INSERT_BATCH, chunks - c);
        const params: unknown[] = [];
        for (let k = 0; k < n; k++) params.push(id, jobName, c + k);
        await this.run('cannot create the chunks', jobName, this.st.insertChunks(n), params);
      }
    }
    await this.run('cannot count a run', jobName, this.st.countRun, [id]);
    return {
      total: Number(stored.total),
      chunkSize: Number(stored.chunkSize),
      fingerprint: parseFingerprint(JSON.stringify(stored.fingerprint ?? [])),
      complete,
      runCount: Number(row?.[3] ?? 0) + 1,
    };
  }

  async claim(jobName: string, leaseMs: number): Promise<ChunkClaim> {
    const id = checkpointId(jobName);
    const token = newToken();
    const params = this.st.claimRepeatsJob ? [token, Math.ceil(leaseMs), id, id] : [token, Math.ceil(leaseMs), id];
    await this.run('cannot claim a chunk', jobName, this.st.claim, params);
    const got = (await this.run('cannot claim a chunk', jobName, this.st.claimed, [id, token]))[0];
    if (got) {
      const chunk = Number(got[0]);
      const layout = await this.layout(jobName, id);
      const start = chunk * layout.chunkSize;
      return { kind: 'chunk', chunk, start, end: Math.min(layout.total, start + layout.chunkSize), token, done: parseOffsets(got[1]) };
    }
    const open = (await this.run('cannot claim a chunk', jobName, this.st.openChunks, [id]))[0];
    if (!open || Number(open[1]) === 0) return { kind: 'done' };
    return { kind: 'wait', retryInMs: Math.max(1, Number(open[0]) - Number(open[2])) };
  }

  private readonly layouts = new Map<string, { total: number; chunkSize: number }>();

  private async layout(jobName: string, id: string): Promise<{ total: number; chunkSize: number }> {
    let l = this.layouts.get(id);
    if (!l) {
      const row = (await this.run('cannot read the record', jobName, this.st.jobRow, [id]))[0];
      const s = JSON.parse(String(row?.[2] ?? '{}')) as { total?: number; chunkSize?: number };
      l = { total: Number(s.total), chunkSize: Number(s.chunkSize) };
      if (this.layouts.size > 64) this.layouts.clear();
      this.layouts.set(id, l);
    }
    return l;
  }

  async renew(jobName: string, chunk: number, token: string, leaseMs: number): Promise<boolean> {
    const rows = await this.run('cannot renew a lease', jobName, this.st.renew, [Math.ceil(leaseMs), checkpointId(jobName), chunk, token]);
    return this.applied(rows, jobName, chunk, token);
  }

  async mark(jobName: string, chunk: number, token: string, offsets: readonly number[], leaseMs: number): Promise<boolean> {
    const rows = await this.run('cannot mark items', jobName, this.st.mark, [',' + offsets.join(','), Math.ceil(leaseMs), checkpointId(jobName), chunk, token]);
    return this.applied(rows, jobName, chunk, token);
  }

  async complete(jobName: string, chunk: number, token: string, completedTtlMs: number): Promise<'ok' | 'lost' | 'job-complete'> {
    const id = checkpointId(jobName);
    const rows = await this.run('cannot complete a chunk', jobName, this.st.complete, ['done:' + token, id, chunk, token]);
    if (!(await this.applied(rows, jobName, chunk, 'done:' + token))) return 'lost';
    if ((await this.run('cannot complete a chunk', jobName, this.st.anyOpen, [id])).length > 0) return 'ok';
    await this.run('cannot complete the job', jobName, this.st.completeJob, [Math.ceil(completedTtlMs), id]);
    return 'job-complete';
  }

  async release(jobName: string, chunk: number, token: string): Promise<void> {
    await this.run('cannot release a chunk', jobName, this.st.release, [checkpointId(jobName), chunk, token]);
  }

  async recordFailure(jobName: string, failure: FailureInfo): Promise<void> {
    await this.run('cannot record a failure', jobName, this.st.failure, [JSON.stringify(failure), checkpointId(jobName)]);
  }

  async status(jobName: string): Promise<SharedJobStatus | null> {
    const id = checkpointId(jobName);
    const what = `cannot read shared job '${jobName}'`;
    const row = (await this.read(what, this.st.jobRow, [id]))[0];
    if (!row) return null;
    const complete = Number(row[0]) === 1;
    if (complete && Number(row[1]) < Number(row[6])) return null; // past its retention
    const s = JSON.parse(String(row[2] ?? '{}')) as { total?: number; chunkSize?: number; fingerprint?: unknown };
    const total = Number(s.total);
    const size = Number(s.chunkSize);
    const doneItems: number[] = [];
    for (const [c, state, done] of await this.read(what, this.st.chunks, [id])) {
      const start = Number(c) * size;
      const end = Math.min(total, start + size);
      if (Number(state) === 1) for (let i = start; i < end; i++) doneItems.push(i);
      else for (const o of [...parseOffsets(done)].sort((a, b) => a - b)) doneItems.push(start + o);
    }
    return {
      total,
      chunkSize: size,
      fingerprint: parseFingerprint(JSON.stringify(s.fingerprint ?? [])),
      complete,
      runCount: Number(row[3] ?? 0),
      lastFailure: parseFailure(row[4]),
      updatedAt: Number(row[5] ?? 0),
      doneItems,
    };
  }

  async clear(jobName: string): Promise<void> {
    try {
      await this.exec(`cannot clear shared job '${jobName}'`, this.st.deleteJob, [checkpointId(jobName)], true);
    } catch (e) {
      if (!isMissingTable(e)) throw e;
    }
  }

  async list(): Promise<string[]> {
    return (await this.read('cannot list shared jobs', this.st.list, [])).map((r) => String(r[0])).sort();
  }
}
