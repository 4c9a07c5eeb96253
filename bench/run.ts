/**
 * safe-state benchmark: `npm run bench` (`tsx bench/run.ts`).
 *
 * Measures the engine's per-item cost against physical baselines measured in the same process, in
 * the same directory, in interleaved rounds (the order rotates each round), and reports medians:
 *
 * 1. FileBackend, durability 'strict' (the default), saveEvery 1, `for..of` and `for await`:
 *    per-item cost / (small `fs.writeSync` append + `fs.fdatasyncSync`). Target ratio <= 1.5.
 * 2. FileBackend, durability 'process', saveEvery 1: per-item cost <= 5 µs (also shown against a
 *    plain `fs.writeSync` of a small line; the `for await` row against the same write in a plain `for await`).
 * 3. Signing and encryption (`secret`, `encrypt`), durability 'process', saveEvery 1: per-item
 *    cost minus the same job's unsigned cost. Targets < 4 µs (signed) and < 10 µs (encrypted).
 * 4. MemoryBackend, saveEvery 1000: per-item cost minus the undecorated loop's (same body, same
 *    array). Target < 0.3 µs. Then the same job with a no-op listener on every diagnostics channel
 *    against itself without (docs/observability.md): the cost per item of being observed, < 1 µs.
 * 5. The server backends (bench/server-sections.ts), saveEvery 1: RedisBackend, SqlBackend on
 *    MariaDB, PostgreSQL and SQLite, against one awaited raw round trip to the same server over the
 *    same connection (a Redis `SET`, an autocommit upsert of a checkpoint-sized row). Target ratio
 *    <= 1.3. Servers: the URLs in SAFE_STATE_BENCH_REDIS_URL, SAFE_STATE_BENCH_MYSQL_URL and
 *    SAFE_STATE_BENCH_POSTGRES_URL, else throwaway ones started like the tests start theirs; a row
 *    whose server is not installed says so (`skipped: redis-server not installed`).
 * 5b. IdempotencyCache with a million keys (File, 'process'), against a small cache in the same
 *    rounds (bench/idempotency.ts): `mark()` ratio <= 3 (no whole-set rewrite per mark),
 *    `seen()` overhead over an awaited plain `Map.get` of the same keys < 1 µs, the cost per key of
 *    opening it in a new process (<= 5 µs per key).
 * 5c. Idempotency at scale (bench/idempotency-scale.ts): `@Idempotent({ key })` with one cache on
 *    Redis and PostgreSQL, 4 worker processes at once (a quarter of the keys each) against 1 over
 *    all of them, a 5 ms effect: µs per key, ratio <= 1/3.5 on Redis and <= 1/3 on PostgreSQL.
 * The `key` option
 * at scale (bench/keys.ts): the checkpoint size per million keys of several key shapes, the cost of
 * a compaction at a million keys, and keyed jobs against the same job without key.
 * 6. The cost of one save with 1,000,000 completed items against 1,000 (File 'strict' and
 *    'process', saveEvery 1; the two jobs take turns item by item). Target ratio <= 1.2.
 * 7. Resuming at item 999,990 of 1,000,000 against item 10 (call to first resumed item,
 *    in-process, MemoryBackend: the engine's own work): skipping is O(1). Target ratio <= 1.2.
 * 8. Resume latency: spawning a process to its first resumed item (plain node running the built
 *    package, dist/index.js as `npm run build` makes it, and the library bundled into the
 *    application), against a bare `node -e` start in the same rounds. Target <= 30 ms over the
 *    bare start. With a breakdown: the previous one-module-per-file layout for comparison, the
 *    child's own clock, the same steps done cold one by one, and what loading each dependency
 *    alone costs.
 * Plus the fixed cost of a whole job run with a handful of items, for context.
 *
 * Options: `--quick` (a smoke run with few items), `--json` (machine-readable results on stdout),
 * `--only <sections>` (comma-separated: file, group-commit, memory, servers, shared, idempotency,
 * idempotency-scale, save-cost, skip, latency, fixed, keys; `npm run bench:servers` is `--only servers`),
 * `--dir <path>` (parent of the scratch directory; default `os.tmpdir()`), `--results <file>`
 * (where the JSON report is written; default bench/results/latest.json, or quick.json with
 * --quick), `--svg <file>` (the chart; default docs/bench.svg, or bench/results/quick.svg with
 * --quick), `--no-write` (neither file).
 * It is a report, not a test: the exit code is 0 whether targets are met or not (MISS is printed).
 */
import * as dc from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFdatasyncUs, writeForAwaitUs, writeUs, plainSum } from './baselines';
import { fileJobs, memoryJob } from './jobs';
import { SAFE_STATE_CHANNELS } from '../lib/index';
import { median, min, rotation } from './stats';
import { TempDir } from './temp-dir';
import { idempotencyBench } from './idempotency';
import { measureShapes, measureJobs, measureCompaction, type KeyStorageReport } from './keys';
import { formatReport, makeReport, type FixedCost, type Measurement, type Report, type Target } from './report';
import { interleave, measurement, progress, range, timed } from './measure';
import { saveCostSection } from './save-cost';
import { resumeSkipSection } from './resume-skip';
import { resumeLatencySection } from './resume-latency';
import { reportChart, PEER_REFERENCE } from './chart';
import { serverSections, type ServerConfig } from './server-sections';
import { SHARED_FULL, SHARED_QUICK, SHARED_SLEEP_MS } from './shared-workers';
import { idempotencyScaleSection, type IdempotencyScaleConfig } from './idempotency-scale';
import { guarded, type FailedRow } from './failed-rows';
import { groupCommitSection } from './group-commit';

interface Config {
  strictItems: number;
  strictRounds: number;
  processItems: number;
  processRounds: number;
  memoryItems: number;
  memoryRounds: number;
  fixedReps: number;
  idempotencyKeys: number;
  idempotencyOps: number;
  idempotencyRounds: number;
  /** keys per shape for the checkpoint size, and encode/decode repetitions */
  keyShapeKeys: number;
  keyShapeReps: number;
  /** items of the keyed jobs, and their rounds */
  keyJobItems: number;
  keyJobRounds: number;
  /** keys of the compaction measurement, and its repetitions */
  compactionKeys: number;
  compactionReps: number;
  saveStrictItems: number;
  saveStrictRounds: number;
  saveProcessItems: number;
  saveProcessRounds: number;
  skipRounds: number;
  latencyRounds: number;
  latencyModuleReps: number;
  /** items per `concurrently` run of the group-commit rows, and their rounds */
  groupCommitItems: number;
  groupCommitRounds: number;
  /** section 'idempotency-scale' (bench/idempotency-scale.ts) */
  idempotencyScale: IdempotencyScaleConfig;
  servers: ServerConfig;
}

/**
 * Many short rounds rather than a few long ones: the contenders of one round then meet the same
 * disk and CPU weather (other processes' fsyncs, CPU contention), so the per-round ratios stay
 * comparable, and the median over rounds shrugs off the rounds where the weather changed.
 * The 'process' runs (30,000 items) include journal compactions (one per 4,096 appended records);
 * in a 'strict' run one would cost about 0.1 % per item, below the noise.
 */
const FULL: Config = {
  strictItems: 1_500,
  strictRounds: 11,
  processItems: 30_000,
  processRounds: 9,
  memoryItems: 1_000_000,
  memoryRounds: 9,
  fixedReps: 9,
  idempotencyKeys: 1_000_000,
  idempotencyOps: 20_000,
  idempotencyRounds: 5,
  keyShapeKeys: 1_000_000,
  keyShapeReps: 3,
  keyJobItems: 1_000_000,
  keyJobRounds: 3,
  compactionKeys: 1_000_000,
  compactionReps: 3,
  saveStrictItems: 400,
  saveStrictRounds: 11,
  saveProcessItems: 10_000,
  saveProcessRounds: 15,
  skipRounds: 15,
  latencyRounds: 41,
  latencyModuleReps: 9,
  groupCommitItems: 600,
  groupCommitRounds: 7,
  idempotencyScale: { keys: 2_000, effectMs: 5, rounds: 3 },
  servers: { redisItems: 2_000, sqlItems: 500, sqliteItems: 300, rounds: 11, fixedReps: 9, shared: SHARED_FULL },
};

const QUICK: Config = {
  strictItems: 200,
  strictRounds: 2,
  processItems: 2_000,
  processRounds: 2,
  memoryItems: 20_000,
  memoryRounds: 2,
  fixedReps: 2,
  idempotencyKeys: 20_000,
  idempotencyOps: 2_000,
  idempotencyRounds: 2,
  keyShapeKeys: 20_000,
  keyShapeReps: 1,
  keyJobItems: 20_000,
  keyJobRounds: 1,
  compactionKeys: 20_000,
  compactionReps: 1,
  saveStrictItems: 30,
  saveStrictRounds: 2,
  saveProcessItems: 500,
  saveProcessRounds: 2,
  skipRounds: 2,
  latencyRounds: 2,
  latencyModuleReps: 1,
  groupCommitItems: 64,
  groupCommitRounds: 2,
  idempotencyScale: { keys: 200, effectMs: 5, rounds: 1 },
  servers: { redisItems: 100, sqlItems: 50, sqliteItems: 30, rounds: 2, fixedReps: 2, shared: SHARED_QUICK },
};

/** The sections `--only` can pick, in the order they run. */
const SECTIONS = ['file', 'group-commit', 'memory', 'servers', 'shared', 'idempotency', 'idempotency-scale', 'save-cost', 'skip', 'latency', 'fixed', 'keys'] as const;
type SectionName = (typeof SECTIONS)[number];

const USAGE = `usage: tsx bench/run.ts [--quick] [--json] [--only <${SECTIONS.join(',')}>] [--dir <parent of the scratch directory>] [--results <file.json>] [--svg <file.svg>] [--no-write]`;

const ROOT = path.resolve(__dirname, '..');

interface Args {
  quick: boolean;
  json: boolean;
  dir: string | undefined;
  results: string | undefined;
  svg: string | undefined;
  write: boolean;
  /** the sections to run (all by default) */
  only: Set<SectionName>;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, json: false, dir: undefined, results: undefined, svg: undefined, write: true, only: new Set(SECTIONS) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = true;
    else if (a === '--no-write') args.write = false;
    else if (a === '--dir' && i + 1 < argv.length) args.dir = argv[++i];
    else if (a === '--results' && i + 1 < argv.length) args.results = argv[++i];
    else if (a === '--svg' && i + 1 < argv.length) args.svg = argv[++i];
    else if (a === '--only' && i + 1 < argv.length) {
      const names = argv[++i].split(',').map((n) => n.trim());
      const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (unknown.length > 0 || names.length === 0) {
        process.stderr.write(`unknown section(s) ${JSON.stringify(unknown)}\n${USAGE}\n`);
        process.exit(2);
      }
      args.only = new Set(names as SectionName[]);
    }
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

async function strictSection(tmp: TempDir, cfg: Config): Promise<Measurement[]> {
  const dir = tmp.sub('strict');
  const jobs = fileJobs(dir, 'strict');
  const items = range(cfg.strictItems);
  const [base, forOf, forAwait] = await interleave(
    `durability 'strict', ${items.length} items`,
    [
      { name: 'write+fdatasync', run: () => writeFdatasyncUs(dir, items.length) },
      { name: 'for..of', run: () => timed(jobs.forOf, items) },
      { name: 'for await', run: () => timed(jobs.forAwait, items) },
    ],
    cfg.strictRounds,
  );
  await jobs.close();
  const target: Target = { metric: 'ratio', op: '<=', value: 1.5 };
  const baseLabel = 'write 30 B + fdatasync';
  return [
    measurement('file-strict-for-of', "File 'strict' saveEvery 1, for..of", items.length, baseLabel, forOf, base, target),
    measurement('file-strict-for-await', "File 'strict' saveEvery 1, for await", items.length, baseLabel, forAwait, base, target),
  ];
}

async function processSection(tmp: TempDir, cfg: Config): Promise<Measurement[]> {
  const dir = tmp.sub('process');
  const jobs = fileJobs(dir, 'process');
  const items = range(cfg.processItems);
  const [base, baseAwait, forOf, forAwait] = await interleave(
    `durability 'process', ${items.length} items`,
    [
      { name: 'write', run: () => writeUs(dir, items.length) },
      { name: 'write in for await', run: () => writeForAwaitUs(dir, items) },
      { name: 'for..of', run: () => timed(jobs.forOf, items) },
      { name: 'for await', run: () => timed(jobs.forAwait, items) },
    ],
    cfg.processRounds,
  );
  await jobs.close();
  const target: Target = { metric: 'perItemUs', op: '<=', value: 5 };
  return [
    measurement('file-process-for-of', "File 'process' saveEvery 1, for..of", items.length, 'write 30 B', forOf, base, target),
    measurement('file-process-for-await', "File 'process' saveEvery 1, for await", items.length, 'write 30 B in a plain for await', forAwait, baseAwait, target),
  ];
}

/**
 * What signing (`secret`) and encryption (`encrypt`) add per save: 'process' durability (no fsync
 * to hide behind), saveEvery 1, `for..of`, against the same job unsigned in the same rounds.
 */
async function sealSection(tmp: TempDir, cfg: Config): Promise<Measurement[]> {
  const plain = fileJobs(tmp.sub('seal-plain'), 'process');
  const signed = fileJobs(tmp.sub('seal-signed'), 'process', { secret: 'bench-secret-0123456789' });
  const encrypted = fileJobs(tmp.sub('seal-encrypted'), 'process', { secret: 'bench-secret-0123456789', encrypt: true });
  const items = range(cfg.processItems);
  const [base, sig, enc] = await interleave(
    `signing, durability 'process', ${items.length} items`,
    [
      { name: 'unsigned', run: () => timed(plain.forOf, items) },
      { name: 'signed', run: () => timed(signed.forOf, items) },
      { name: 'encrypted', run: () => timed(encrypted.forOf, items) },
    ],
    cfg.processRounds,
  );
  await Promise.all([plain.close(), signed.close(), encrypted.close()]);
  const baseLabel = "File 'process' unsigned, for..of";
  return [
    measurement('file-process-signed-for-of', "File 'process' + secret (HMAC per record), for..of", items.length, baseLabel, sig, base, { metric: 'overheadUs', op: '<', value: 4 }),
    measurement('file-process-encrypted-for-of', "File 'process' + secret + encrypt (AES-GCM per record), for..of", items.length, baseLabel, enc, base, { metric: 'overheadUs', op: '<', value: 10 }),
  ];
}

async function memorySection(cfg: Config): Promise<Measurement[]> {
  const job = memoryJob(1000);
  const items = range(cfg.memoryItems);
  const [plain, decorated] = await interleave(
    `MemoryBackend saveEvery 1000, ${items.length} items`,
    [
      { name: 'plain', run: () => timed(plainSum, items) },
      { name: 'decorated', run: () => timed(job, items) },
    ],
    cfg.memoryRounds,
  );
  // then the cost of being observed: a no-op listener on every diagnostics channel, subscribed only
  // while its contender runs (channels are process-wide), in rounds of their own after the row above
  const observed = memoryJob(1000);
  const [unobserved, subscribed] = await interleave(
    `MemoryBackend saveEvery 1000 with a diagnostics subscriber, ${items.length} items`,
    [
      { name: 'no subscriber', run: () => timed(job, items) },
      { name: 'subscribed', run: () => withSubscriber(() => timed(observed, items)) },
    ],
    cfg.memoryRounds,
  );
  return [
    measurement(
      'memory-overhead',
      'Memory saveEvery 1000, for..of',
      items.length,
      'undecorated for..of',
      decorated,
      plain,
      { metric: 'overheadUs', op: '<', value: 0.3 },
    ),
    measurement(
      'memory-subscribed',
      'Memory saveEvery 1000, for..of, a listener on every diagnostics channel',
      items.length,
      'the same job, no subscriber',
      subscribed,
      unobserved,
      { metric: 'overheadUs', op: '<', value: 1 },
    ),
  ];
}

/** Runs `fn` with a no-op listener on every safe-state diagnostics channel. */
async function withSubscriber<T>(fn: () => Promise<T>): Promise<T> {
  const listener = () => undefined;
  const names = Object.values(SAFE_STATE_CHANNELS);
  for (const n of names) dc.subscribe(n, listener);
  try {
    return await fn();
  } finally {
    for (const n of names) dc.unsubscribe(n, listener);
  }
}

async function idempotencySection(tmp: TempDir, cfg: Config): Promise<Measurement[]> {
  const bench = await idempotencyBench(tmp.sub('idempotency'), cfg.idempotencyKeys, cfg.idempotencyOps, progress);
  const keys = bench.keys;
  const [markSmall, markBig, seenPlain, seenBig] = await interleave(
    `IdempotencyCache, ${keys} keys`,
    [
      { name: 'mark small', run: () => bench.markSmall() },
      { name: 'mark big', run: () => bench.markBig() },
      { name: 'await Map.get', run: () => bench.seenPlain() },
      { name: 'seen big', run: () => bench.seenBig() },
    ],
    cfg.idempotencyRounds,
  );
  const [read, open] = await interleave(
    `IdempotencyCache, opening ${keys} keys`,
    [
      { name: 'read + split', run: () => bench.readBig() },
      { name: 'open', run: () => bench.openBig() },
    ],
    Math.min(3, cfg.idempotencyRounds),
  );
  await bench.close();
  return [
    measurement('idempotency-mark-1m', `IdempotencyCache.mark, ${keys} keys, File 'process'`, cfg.idempotencyOps, 'mark, 100-key cache', markBig, markSmall, {
      metric: 'ratio', op: '<=', value: 3,
    }),
    measurement('idempotency-seen-1m', `IdempotencyCache.seen, ${keys} keys`, cfg.idempotencyOps, `await Map.get, ${keys} keys`, seenBig, seenPlain, {
      metric: 'overheadUs', op: '<', value: 1,
    }),
    measurement('idempotency-open-1m', `IdempotencyCache open (per key), ${keys} keys`, keys, 'readFileSync + split, per key', open, read, { metric: 'perItemUs', op: '<=', value: 5 }),
  ];
}

async function fixedSection(tmp: TempDir, cfg: Config): Promise<FixedCost[]> {
  const strict = fileJobs(tmp.sub('fixed-strict'), 'strict');
  const processJobs = fileJobs(tmp.sub('fixed-process'), 'process');
  const memory = memoryJob(1000);
  // 1 item rather than 0: a body that iterates an empty input is (wrongly) warned about as
  // "never iterated" by this version of the engine, and the warning would pollute the output.
  const sizes = [1, 10];
  const variants = [
    { id: 'file-strict', label: "File 'strict', for..of", job: strict.forOf },
    { id: 'file-process', label: "File 'process', for..of", job: processJobs.forOf },
    { id: 'memory', label: 'Memory, for..of', job: memory },
  ];
  const cases = variants.flatMap((v) => sizes.map((n) => ({ ...v, items: range(n) })));
  progress(`fixed cost: ${cases.length} cases x ${cfg.fixedReps} reps`);
  const runCase = async (c: (typeof cases)[number]) => {
    const t0 = performance.now();
    await c.job(c.items);
    return performance.now() - t0;
  };
  for (const c of cases) await runCase(c); // warm-up
  const ms = cases.map(() => [] as number[]);
  for (let r = 0; r < cfg.fixedReps; r++) {
    for (const i of rotation(cases.length, r)) ms[i].push(await runCase(cases[i]));
  }
  await strict.close();
  await processJobs.close();
  return cases.map((c, i) => ({
    id: `${c.id}-${c.items.length}`,
    label: c.label,
    items: c.items.length,
    reps: ms[i].length,
    medianMs: median(ms[i]),
    minMs: min(ms[i]),
    samplesMs: ms[i],
  }));
}

async function keySection(tmp: TempDir, cfg: Config): Promise<KeyStorageReport> {
  return {
    shapes: measureShapes(cfg.keyShapeKeys, cfg.keyShapeReps, progress),
    jobs: await measureJobs(tmp.sub('keys'), cfg.keyJobItems, cfg.keyJobRounds, progress),
    compaction: measureCompaction(tmp.sub('compaction'), cfg.compactionKeys, cfg.compactionReps, progress),
  };
}

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function peerText(): string {
  return `peer reference (measured on this machine once, not in this run): ${PEER_REFERENCE.label}: ~${PEER_REFERENCE.us / 1000} ms; restart to the first resumed step: ~${PEER_REFERENCE.restartMs / 1000} s`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cfg = args.quick ? QUICK : FULL;
  const on = (section: SectionName) => args.only.has(section);
  const tmp = new TempDir(args.dir);
  const started = Date.now();
  const loadStart = os.loadavg()[0];
  try {
    const measurements: Measurement[] = [];
    const fixedCosts: FixedCost[] = [];
    const failed: FailedRow[] = [];
    const extra: Partial<Report> = { failed };
    // a section that throws becomes a failed row; the others still run and the report is written
    const section = async (name: SectionName, run: () => Promise<void>) => {
      if (on(name)) await guarded(`section-${name}`, `section '${name}'`, failed, run);
    };
    await section('file', async () => {
      measurements.push(...(await strictSection(tmp, cfg)), ...(await processSection(tmp, cfg)), ...(await sealSection(tmp, cfg)));
    });
    await section('group-commit', async () => {
      measurements.push(...(await groupCommitSection(tmp.sub('group-commit'), cfg.groupCommitItems, cfg.groupCommitRounds)));
    });
    await section('memory', async () => void measurements.push(...(await memorySection(cfg))));
    if (on('servers') || on('shared')) {
      await guarded('section-servers', 'section \'servers\'', failed, async () => {
        const servers = await serverSections(tmp.sub('servers'), tmp.sub('sqlite'), cfg.servers, { rows: on('servers'), shared: on('shared') });
        measurements.push(...servers.measurements);
        fixedCosts.push(...servers.fixedCosts);
        failed.push(...servers.failed);
        extra.skipped = servers.skipped;
        if (on('shared')) extra.sharedWorkers = { sleepMs: SHARED_SLEEP_MS, rows: servers.sharedWorkers };
      });
    }
    await section('idempotency', async () => void measurements.push(...(await idempotencySection(tmp, cfg))));
    await section('idempotency-scale', async () => {
      measurements.push(...(await idempotencyScaleSection(tmp.sub('idempotency-scale'), cfg.idempotencyScale, ['redis', 'postgres'], failed)));
    });
    await section('save-cost', async () => {
      measurements.push(await saveCostSection(tmp.sub('save-cost'), 'strict', cfg.saveStrictItems, cfg.saveStrictRounds));
      measurements.push(await saveCostSection(tmp.sub('save-cost'), 'process', cfg.saveProcessItems, cfg.saveProcessRounds));
    });
    await section('skip', async () => void measurements.push(await resumeSkipSection(tmp.sub('resume-skip'), cfg.skipRounds)));
    await section('latency', async () => {
      const latency = await resumeLatencySection(tmp.sub('resume-latency'), cfg.latencyRounds, cfg.latencyModuleReps);
      measurements.push(...latency.measurements);
      extra.resumeLatency = latency.detail;
    });
    await section('fixed', async () => void fixedCosts.unshift(...(await fixedSection(tmp, cfg))));
    await section('keys', async () => {
      extra.keyStorage = await keySection(tmp, cfg);
    });
    const report = makeReport({ quick: args.quick, dir: tmp.path, started, loadStart }, measurements, fixedCosts, extra);
    const fsyncUs = measurements.find((m) => m.id === 'file-strict-for-of')?.baseline.perItemUs ?? Infinity;
    if (fsyncUs < 10) progress(`warning: fdatasync took ${fsyncUs.toFixed(1)} µs here: ${tmp.path} is probably on tmpfs, so 'strict' numbers say little (use --dir on a real disk)`);
    if (args.write) {
      const partial = args.only.size < SECTIONS.length;
      const results = path.resolve(args.results ?? path.join(ROOT, 'bench', 'results', args.quick ? 'quick.json' : partial ? 'partial.json' : 'latest.json'));
      const svg = path.resolve(args.svg ?? (args.quick || partial ? path.join(ROOT, 'bench', 'results', args.quick ? 'quick.svg' : 'partial.svg') : path.join(ROOT, 'docs', 'bench.svg')));
      writeFile(results, JSON.stringify(report, null, 2) + '\n');
      writeFile(svg, reportChart(report));
      progress(`wrote ${path.relative(process.cwd(), results)} and ${path.relative(process.cwd(), svg)}`);
    }
    process.stdout.write(args.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report) + '\n' + peerText() + '\n');
  } finally {
    tmp.remove();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
