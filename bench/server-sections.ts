/**
 * The server backends' rows of `npm run bench`: the engine's per-item cost at saveEvery 1 on each
 * server backend against one awaited raw round trip to the same server over the same connection,
 * measured in the same process in interleaved rounds (medians, as everywhere in the benchmark):
 *
 * - RedisBackend (a user ioredis client) vs. an awaited `SET` of a 30-byte value.
 * - SqlBackend on MariaDB (one mysql2 connection) vs. one autocommit upsert (prepared statement)
 *   of a checkpoint-sized row.
 * - SqlBackend on PostgreSQL (one pg Client) vs. one autocommit upsert (`client.query`).
 * - SqlBackend on SQLite (better-sqlite3, a file in the scratch directory) vs. one autocommit upsert
 *   of a prepared statement, with `for await` and with `for..of` (SQLite saves synchronously).
 * Target ratio <= 1.3 for each. Plus the fixed cost of a whole one-item job run on each backend.
 *
 * The servers are the URLs given in the environment (`SAFE_STATE_BENCH_REDIS_URL`,
 * `SAFE_STATE_BENCH_MYSQL_URL`, `SAFE_STATE_BENCH_POSTGRES_URL`), else throwaway servers started
 * for the run (bench-servers.ts). A backend that cannot be measured (binary or driver missing)
 * becomes a skipped row that says why. Also the throughput of 4 shared workers against 1 on Redis
 * and MariaDB (bench/shared-workers.ts, target >= 3.5x).
 */
import * as path from 'node:path';
import type { Redis as RedisClient } from 'ioredis';
import type { Connection } from 'mysql2';
import type { Client } from 'pg';
import { RedisBackend, SqlBackend, type StateBackend } from '../lib/index';
import { backendJobs, checkpointText } from './backend-jobs';
import { serversFor, type ServerKind } from './bench-servers';
import { interleave, measurement, progress, range, timed } from './measure';
import { mysqlUpsertUs, pgUpsertUs, redisSetUs, sqliteUpsertUs } from './server-baselines';
import { median, min, rotation } from './stats';
import type { FixedCost, Measurement, SkippedRow, Target } from './report';
import { guarded, reasonOf, type FailedRow } from './failed-rows';
import { measureSharedWorkers, type SharedWorkersConfig, type SharedWorkersRow } from './shared-workers';

/* eslint-disable @typescript-eslint/no-require-imports */

/** Items per job run and rounds of the server rows. */
export interface ServerConfig {
  redisItems: number;
  sqlItems: number;
  sqliteItems: number;
  rounds: number;
  fixedReps: number;
  /** sizes of the shared-workers rows (bench/shared-workers.ts) */
  shared: SharedWorkersConfig;
}

/** Which parts to measure: the per-save rows (`rows`), the shared-workers speedup (`shared`). */
export interface ServerParts {
  rows: boolean;
  shared: boolean;
}

/** What the server rows found. */
export interface ServerResults {
  measurements: Measurement[];
  fixedCosts: FixedCost[];
  skipped: SkippedRow[];
  /** 4 shared workers vs. 1, on Redis and MariaDB (empty when not asked or no server) */
  sharedWorkers: SharedWorkersRow[];
  /** sections that started and failed midway (a server that went away), and why */
  failed: FailedRow[];
}

const TARGET: Target = { metric: 'ratio', op: '<=', value: 1.3 };

/** One backend's section: its jobs against its baseline, and its fixed cost. */
export interface Section {
  id: string;
  label: string;
  backend: StateBackend;
  items: number;
  baselineLabel: string;
  baseline(count: number): Promise<number> | number;
  forOf: boolean;
  close(): Promise<void>;
}

/** The rows of each backend, with their ids and labels (also for the skipped rows). */
const ROWS: Record<ServerKind | 'sqlite', { id: string; label: string }[]> = {
  redis: [{ id: 'redis-for-await', label: 'Redis saveEvery 1, for await' }],
  mysql: [{ id: 'mysql-for-await', label: 'SQL mysql (MariaDB) saveEvery 1, for await' }],
  postgres: [{ id: 'postgres-for-await', label: 'SQL postgres saveEvery 1, for await' }],
  sqlite: [
    { id: 'sqlite-for-await', label: 'SQL sqlite saveEvery 1, for await' },
    { id: 'sqlite-for-of', label: 'SQL sqlite saveEvery 1, for..of' },
  ],
};

/**
 * Measures one backend's rows; when it fails midway (its server went away, a driver error) its rows
 * become failed rows that say why, and the run goes on.
 */
export async function measureGuarded(s: Section, rounds: number, failed: FailedRow[]): Promise<Measurement[]> {
  const [first] = ROWS[s.id as keyof typeof ROWS];
  return (await guarded(first.id, first.label, failed, () => measureSection(s, rounds))) ?? [];
}

async function measureSection(s: Section, rounds: number): Promise<Measurement[]> {
  const jobs = backendJobs(s.backend, s.id);
  const items = range(s.items);
  const contenders = [
    { name: 'baseline', run: () => s.baseline(items.length) },
    { name: 'for await', run: () => timed(jobs.forAwait, items) },
    ...(s.forOf ? [{ name: 'for..of', run: () => timed(jobs.forOf, items) }] : []),
  ];
  const [base, forAwait, forOf] = await interleave(`${s.label}, ${items.length} items`, contenders, rounds);
  const [awaitRow, ofRow] = ROWS[s.id as keyof typeof ROWS];
  const out = [measurement(awaitRow.id, awaitRow.label, items.length, s.baselineLabel, forAwait, base, TARGET)];
  if (forOf) out.push(measurement(ofRow.id, ofRow.label, items.length, s.baselineLabel, forOf, base, TARGET));
  return out;
}

async function fixedCost(s: Section, reps: number): Promise<FixedCost> {
  const jobs = backendJobs(s.backend, `${s.id}-fixed`);
  const ms: number[] = [];
  await jobs.forAwait([1]);
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await jobs.forAwait([1]);
    ms.push(performance.now() - t0);
  }
  return { id: `${s.id}-1`, label: `${s.label}, for await`, items: 1, reps: ms.length, medianMs: median(ms), minMs: min(ms), samplesMs: ms };
}

async function redisSection(url: string, cfg: ServerConfig): Promise<Section> {
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const client: RedisClient = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined); // a failing command rejects; the event alone must not crash the run
  try {
    await client.ping(); // an unreachable server becomes a skipped row now, not a failure mid-run
  } catch (e) {
    client.disconnect();
    throw e;
  }
  const backend = new RedisBackend(client, { prefix: 'bench:' });
  return {
    id: 'redis',
    label: 'Redis',
    backend,
    items: cfg.redisItems,
    baselineLabel: 'Redis SET 30 B (awaited)',
    baseline: (count) => redisSetUs(client, count),
    forOf: false,
    close: async () => {
      await backend.close();
      await client.quit();
    },
  };
}

async function mysqlSection(url: string, cfg: ServerConfig, data: string): Promise<Section> {
  const mysql = require('mysql2') as typeof import('mysql2');
  const conn: Connection = mysql.createConnection(url);
  conn.on('error', () => undefined); // a lost server fails the query that needed it; the event alone must not end the run
  const backend = new SqlBackend(conn, { table: 'bench_checkpoints' });
  await backend.save('bench-warm-up', 'x\n'); // creates the table the baseline writes to
  return {
    id: 'mysql',
    label: 'SQL mysql (MariaDB)',
    backend,
    items: cfg.sqlItems,
    baselineLabel: `upsert ${data.length} B (autocommit)`,
    baseline: (count) => mysqlUpsertUs(conn, 'bench_checkpoints', count, data),
    forOf: false,
    close: async () => {
      await backend.close();
      await new Promise<void>((r) => conn.end(() => r()));
    },
  };
}

/** PostgreSQL's section over one pg `Client` (named `safe-state-bench` in `pg_stat_activity`). */
export async function pgSection(url: string, cfg: Pick<ServerConfig, 'sqlItems'>, data: string): Promise<Section> {
  const pg = require('pg') as typeof import('pg');
  const client: Client = new pg.Client({ connectionString: url, application_name: 'safe-state-bench' });
  // pg emits 'error' when the server ends the connection ('Connection terminated unexpectedly'):
  // the query that needed it rejects, and the event alone must not end the run
  client.on('error', () => undefined);
  await client.connect();
  const backend = new SqlBackend(client, { table: 'bench_checkpoints' });
  await backend.save('bench-warm-up', 'x\n');
  return {
    id: 'postgres',
    label: 'SQL postgres',
    backend,
    items: cfg.sqlItems,
    baselineLabel: `upsert ${data.length} B (autocommit)`,
    baseline: (count) => pgUpsertUs(client, 'bench_checkpoints', count, data),
    forOf: false,
    close: async () => {
      await backend.close();
      await client.end().catch(() => undefined);
    },
  };
}

async function sqliteSection(dir: string, cfg: ServerConfig, data: string): Promise<Section> {
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(path.join(dir, 'bench.db'));
  const backend = new SqlBackend(db, { table: 'bench_checkpoints' });
  await backend.save('bench-warm-up', 'x\n');
  return {
    id: 'sqlite',
    label: 'SQL sqlite',
    backend,
    items: cfg.sqliteItems,
    baselineLabel: `upsert ${data.length} B (autocommit)`,
    baseline: (count) => sqliteUpsertUs(db, 'bench_checkpoints', count, data),
    forOf: true,
    close: async () => {
      await backend.close();
      db.close();
    },
  };
}

/**
 * Measures every server backend it can reach or start under `root` (servers) and `sqliteDir`;
 * the others become skipped rows. Started servers are stopped before it returns.
 */
export async function serverSections(root: string, sqliteDir: string, cfg: ServerConfig, parts: ServerParts = { rows: true, shared: true }): Promise<ServerResults> {
  progress('server backends: servers from the environment, or throwaway ones');
  const servers = await serversFor(root);
  const skipped: SkippedRow[] = [];
  const skip = (kind: keyof typeof ROWS, reason: string) => skipped.push(...ROWS[kind].map((r) => ({ ...r, reason })));
  const sections: Section[] = [];
  try {
    const data = await checkpointText(cfg.sqlItems);
    const open: [ServerKind, (url: string) => Promise<Section>][] = [
      ['redis', (url) => redisSection(url, cfg)],
      ['mysql', (url) => mysqlSection(url, cfg, data)],
      ['postgres', (url) => pgSection(url, cfg, data)],
    ];
    for (const [kind, make] of parts.rows ? open : []) {
      const s = servers[kind];
      if (s.url === null) {
        skip(kind, s.reason);
        continue;
      }
      try {
        sections.push(await make(s.url));
      } catch (e) {
        skip(kind, `could not connect to ${s.source}: ${reasonOf(e)}`);
      }
    }
    if (parts.rows) {
      try {
        sections.push(await sqliteSection(sqliteDir, cfg, data));
      } catch (e) {
        const missing = /Cannot find module 'better-sqlite3'/.test(reasonOf(e));
        skip('sqlite', missing ? 'better-sqlite3 not installed' : reasonOf(e));
      }
    }
    const measurements: Measurement[] = [];
    const fixedCosts: FixedCost[] = [];
    const failed: FailedRow[] = [];
    const alive = new Set<Section>();
    for (const s of sections) {
      const before = failed.length;
      measurements.push(...(await measureGuarded(s, cfg.rounds, failed)));
      if (failed.length === before) alive.add(s);
    }
    const measured = sections.filter((s) => alive.has(s));
    progress(`server backends, fixed cost: ${measured.length} backends x ${cfg.fixedReps} reps`);
    for (const i of rotation(measured.length, 0)) {
      const s = measured[i];
      const f = await guarded(`${s.id}-1`, `${s.label}, fixed cost`, failed, () => fixedCost(s, cfg.fixedReps));
      if (f) fixedCosts.push(f);
    }
    const sharedWorkers: SharedWorkersRow[] = [];
    if (parts.shared) {
      for (const [kind, label] of [['redis', 'Redis'], ['mysql', 'SQL mysql (MariaDB)']] as const) {
        const url = servers[kind].url;
        if (url === null) continue;
        const row = await guarded(`${kind}-shared-4`, `${label}: 4 shared workers vs 1`, failed, () => measureSharedWorkers(kind, label, url, cfg.shared, path.join(sqliteDir, `shared-${kind}`)));
        if (row) sharedWorkers.push(row);
      }
    }
    return { measurements, fixedCosts, skipped, sharedWorkers, failed };
  } finally {
    for (const s of sections) await s.close().catch(() => undefined);
    servers.stop();
  }
}
