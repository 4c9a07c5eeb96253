/**
 * safe-state server-backend benchmark: `npm run bench:servers` (`tsx bench/redis-sql.ts`).
 *
 * Starts throwaway Redis, MariaDB and PostgreSQL servers on loopback (skipping, with a note, those
 * whose binaries are missing), and measures the engine's per-item cost at saveEvery 1 with
 * `for await` on each server backend against one awaited raw round trip to the same server over
 * the same connection, measured in the same process in interleaved rounds (medians, as
 * bench/run.ts does):
 *
 * - RedisBackend (a user ioredis client) vs. an awaited `SET` of a 30-byte value.
 * - SqlBackend on MariaDB (one mysql2 connection) vs. one autocommit upsert (prepared statement)
 *   of a checkpoint-sized row.
 * - SqlBackend on PostgreSQL (one pg Client) vs. one autocommit upsert (`client.query`).
 * - SqlBackend on SQLite (better-sqlite3, a file in the scratch directory) vs. one autocommit upsert
 *   of a prepared statement, with `for await` and with `for..of` (SQLite saves synchronously).
 * Target ratio <= 1.3 for each. Plus the fixed cost of a whole one-item job run on each backend,
 * and the throughput of 4 shared workers against 1 on Redis and MariaDB (bench/shared-workers.ts,
 * target >= 3.5x).
 *
 * Options: `--quick` (a smoke run), `--json`, `--dir <path>` (parent of the scratch directory),
 * `--shared-only` (only the shared-workers section).
 * It is a report, not a test: the exit code is 0 whether targets are met or not.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Redis as RedisClient } from 'ioredis';
import type { Connection } from 'mysql2';
import type { Client } from 'pg';
import { RedisBackend, SqlBackend, type StateBackend } from '../lib/index';
import { backendJobs, checkpointText } from './backend-jobs';
import { startBenchServers } from './bench-servers';
import { interleave, measurement, progress, range, timed } from './measure';
import { mysqlUpsertUs, pgUpsertUs, redisSetUs, sqliteUpsertUs } from './server-baselines';
import { median, min, rotation } from './stats';
import { TempDir } from './temp-dir';
import { formatReport, makeReport, type FixedCost, type Measurement, type Target } from './report';
import { measureSharedWorkers, SHARED_FULL, SHARED_QUICK, SHARED_SLEEP_MS, type SharedWorkersRow } from './shared-workers';

/* eslint-disable @typescript-eslint/no-require-imports */

interface Config {
  redisItems: number;
  sqlItems: number;
  sqliteItems: number;
  rounds: number;
  fixedReps: number;
}

/** Many short rounds (see bench/run.ts): each round's contenders meet the same machine weather. */
const FULL: Config = { redisItems: 2_000, sqlItems: 500, sqliteItems: 300, rounds: 11, fixedReps: 9 };
const QUICK: Config = { redisItems: 100, sqlItems: 50, sqliteItems: 30, rounds: 2, fixedReps: 2 };

const TARGET: Target = { metric: 'ratio', op: '<=', value: 1.3 };
const USAGE = 'usage: tsx bench/redis-sql.ts [--quick] [--json] [--shared-only] [--dir <parent of the scratch directory>]';

function parseArgs(argv: string[]): { quick: boolean; json: boolean; sharedOnly: boolean; dir: string | undefined } {
  const args = { quick: false, json: false, sharedOnly: false, dir: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = true;
    else if (a === '--shared-only') args.sharedOnly = true;
    else if (a === '--dir' && i + 1 < argv.length) args.dir = argv[++i];
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument ${JSON.stringify(a)}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return args;
}

/** One backend's section: its jobs against its baseline, and its fixed cost. */
interface Section {
  id: string;
  label: string;
  backend: StateBackend;
  items: number;
  baselineLabel: string;
  baseline(count: number): Promise<number> | number;
  forOf: boolean;
  close(): Promise<void>;
}

async function measureSection(s: Section, cfg: Config): Promise<Measurement[]> {
  const jobs = backendJobs(s.backend, s.id);
  const items = range(s.items);
  const contenders = [
    { name: 'baseline', run: () => s.baseline(items.length) },
    { name: 'for await', run: () => timed(jobs.forAwait, items) },
    ...(s.forOf ? [{ name: 'for..of', run: () => timed(jobs.forOf, items) }] : []),
  ];
  const [base, forAwait, forOf] = await interleave(`${s.label}, ${items.length} items`, contenders, cfg.rounds);
  const out = [measurement(`${s.id}-for-await`, `${s.label} saveEvery 1, for await`, items.length, s.baselineLabel, forAwait, base, TARGET)];
  if (forOf) out.push(measurement(`${s.id}-for-of`, `${s.label} saveEvery 1, for..of`, items.length, s.baselineLabel, forOf, base, TARGET));
  return out;
}

async function fixedCost(s: Section, cfg: Config): Promise<FixedCost> {
  const jobs = backendJobs(s.backend, `${s.id}-fixed`);
  const ms: number[] = [];
  await jobs.forAwait([1]);
  for (let r = 0; r < cfg.fixedReps; r++) {
    const t0 = performance.now();
    await jobs.forAwait([1]);
    ms.push(performance.now() - t0);
  }
  return { id: `${s.id}-1`, label: `${s.label}, for await`, items: 1, reps: ms.length, medianMs: median(ms), minMs: min(ms), samplesMs: ms };
}

async function redisSection(url: string, cfg: Config): Promise<Section> {
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const client: RedisClient = new Redis(url, { maxRetriesPerRequest: 1 });
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

async function mysqlSection(url: string, cfg: Config, data: string): Promise<Section> {
  const mysql = require('mysql2') as typeof import('mysql2');
  const conn: Connection = mysql.createConnection(url);
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

async function pgSection(url: string, cfg: Config, data: string): Promise<Section> {
  const pg = require('pg') as typeof import('pg');
  const client: Client = new pg.Client({ connectionString: url });
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
      await client.end();
    },
  };
}

async function sqliteSection(dir: string, cfg: Config, data: string): Promise<Section> {
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cfg = args.quick ? QUICK : FULL;
  const tmp = new TempDir(args.dir);
  const started = Date.now();
  const loadStart = os.loadavg()[0];
  progress('starting throwaway servers');
  const servers = await startBenchServers(tmp.sub('servers'));
  try {
    const data = await checkpointText(cfg.sqlItems);
    const notes = [...servers.notes];
    const sections: Section[] = [];
    if (!args.sharedOnly) {
      if (servers.redisUrl) sections.push(await redisSection(servers.redisUrl, cfg));
      if (servers.mysqlUrl) sections.push(await mysqlSection(servers.mysqlUrl, cfg, data));
      if (servers.postgresUrl) sections.push(await pgSection(servers.postgresUrl, cfg, data));
      try {
        sections.push(await sqliteSection(tmp.sub('sqlite'), cfg, data));
      } catch (e) {
        notes.push(`SQLite skipped: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    const measurements: Measurement[] = [];
    const fixedCosts: FixedCost[] = [];
    try {
      for (const s of sections) measurements.push(...(await measureSection(s, cfg)));
      if (sections.length > 0) progress(`fixed cost: ${sections.length} backends x ${cfg.fixedReps} reps`);
      for (const i of rotation(sections.length, 0)) fixedCosts.push(await fixedCost(sections[i], cfg));
    } finally {
      for (const s of sections) await s.close();
    }
    const shared: SharedWorkersRow[] = [];
    const sharedCfg = args.quick ? SHARED_QUICK : SHARED_FULL;
    if (servers.redisUrl) shared.push(await measureSharedWorkers('redis', 'Redis', servers.redisUrl, sharedCfg, tmp.sub('shared')));
    if (servers.mysqlUrl) shared.push(await measureSharedWorkers('mysql', 'SQL mysql (MariaDB)', servers.mysqlUrl, sharedCfg, tmp.sub('shared')));
    const report = makeReport({ quick: args.quick, dir: tmp.path, started, loadStart }, measurements, fixedCosts, {
      notes,
      sharedWorkers: { sleepMs: SHARED_SLEEP_MS, rows: shared },
    });
    report.allPass = report.allPass && shared.every((x) => x.pass);
    process.stdout.write(args.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report) + '\n');
  } finally {
    servers.stop();
    tmp.remove();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
