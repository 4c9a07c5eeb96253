/**
 * The exactly-once soak: on one SQL database, a job whose items are transactions (see
 * bench/exactly-once-child.ts) is SIGKILLed at random moments and rerun until it completes; when
 * a job completes before the kills are spent, another one starts. The effects table is the ledger:
 *
 * - after every kill: the items the checkpoint counts as done (its compact record plus the
 *   completion records committed inside transactions) are exactly the items with an effect row,
 *   and no item has two rows. Read once the database has settled (two equal reads 25 ms apart):
 *   the server still finishes a COMMIT the killed process had sent, so a read right after the kill
 *   could see the checkpoint from before that commit and the effects from after it;
 * - at the end of each job: every item has exactly one effect row (none lost, none repeated), the
 *   checkpoint and its completion records are gone. A kill that landed after the job had completed
 *   (no checkpoint, every item's effect there once) ends the job like a completed run
 *   (`killedAfterEnd`), and these end-of-job checks apply.
 *
 * Kills aim at: the moment an item's transaction committed (`K`: before the engine's own progress
 * save, where at-least-once delivery would repeat the item), 1 to 3 ms after such a commit (`Kd`:
 * in or around the progress save), an item handed to the body (`B`), or a random time after the
 * start (`T`: start-up, lock, load, folding of records).
 * Used by `npm run soak` (its exactly-once rows, bench/soak-exactly-once.ts, with the child bundled)
 * and by spec/transaction/exactly-once-soak.spec.ts (the child through `node --import tsx`).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { SqlBackend, safeState, type Checkpoint } from '../lib/index';
import { openSoakDatabase, type SoakDialect } from './exactly-once-db';
import type { ExactlyOnceChildConfig } from './exactly-once-child';
import { prng } from '../spec/crash/crash-harness';

const CHILD = path.join(__dirname, 'exactly-once-child.ts');
const REPO = path.resolve(__dirname, '..');

export interface ExactlyOnceSoakOptions {
  dialect: SoakDialect;
  /** SQLite file or server URL */
  where: string;
  kills: number;
  items: number;
  seed: number;
  /** prefix of the tables this soak creates (dropped at the end) */
  prefix: string;
  /** a line per kill */
  log?: (line: string) => void;
  /** where kills aim (default all) */
  aims?: readonly ('K' | 'Kd' | 'B' | 'T')[];
  /** the control case (see ExactlyOnceChildConfig.separateBackend): repeats are then expected */
  separateBackend?: boolean;
  /** `job` (default): items of a `@SafeState` job; `idempotent`: `@Idempotent` calls in a plain loop */
  subject?: 'job' | 'idempotent';
  /**
   * node's arguments that start bench/exactly-once-child.ts, before its JSON argument (default:
   * `--import tsx` and the script; `npm run soak` passes a bundle, bench/soak-bundle.ts)
   */
  childArgs?: readonly string[];
}

export interface ExactlyOnceSummary {
  dialect: SoakDialect;
  kills: number;
  runs: number;
  jobs: number;
  items: number;
  /** effect rows in all jobs */
  effects: number;
  /** effect rows beyond one per item (must be 0) */
  repeats: number;
  /** items without an effect row at a job's end (must be 0) */
  missing: number;
  /** kills per aim: K (item committed), Kd (shortly after), B (item begun), T (timed) */
  landings: Record<string, number>;
  /**
   * kills that landed after the job had completed (its checkpoint deleted, every item's effect
   * there once) but before the process exited: they end that job like a completed run
   */
  killedAfterEnd: number;
  violations: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunOutcome {
  code: number | null;
  killed: boolean;
  aim: string;
  stderr: string;
}

/** One child run; `plan` says when to SIGKILL it (null: let it finish). */
type KillPlan = { aim: 'K' | 'Kd' | 'B'; after: number; delayMs: number } | { aim: 'T'; ms: number };

function runOnce(cfg: ExactlyOnceChildConfig, plan: KillPlan | null, childArgs: readonly string[]): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childArgs, JSON.stringify(cfg)], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, SAFE_STATE_TEST_PHASE_FD: '3', NODE_OPTIONS: '' },
    });
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      child.kill('SIGKILL');
    };
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    let seen = 0;
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      if (!plan || plan.aim === 'T') return;
      for (const b of chunk.toString('latin1')) {
        if (b === 'K') seen++;
        if (seen < plan.after || b !== plan.aim[0]) continue;
        if (plan.delayMs > 0) setTimeout(kill, plan.delayMs);
        else kill();
      }
    });
    const timed = plan?.aim === 'T' ? setTimeout(kill, plan.ms) : null;
    const guard = setTimeout(() => {
      stderr += '\n[soak] run timed out after 120 s';
      kill();
    }, 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timed) clearTimeout(timed);
      clearTimeout(guard);
      resolve({ code, killed, aim: plan?.aim ?? '-', stderr });
    });
  });
}

/** Runs the soak on one database; never throws for a violation (they are in the summary). */
export async function runExactlyOnceSoak(o: ExactlyOnceSoakOptions): Promise<ExactlyOnceSummary> {
  const rng = prng(o.seed);
  const db = openSoakDatabase(o.dialect, o.where);
  const table = `${o.prefix}_ckpt`;
  const effects = `${o.prefix}_effects`;
  const backend = new SqlBackend(db.conn as never, { table });
  const s: ExactlyOnceSummary = { dialect: o.dialect, kills: 0, runs: 0, jobs: 0, items: 0, effects: 0, repeats: 0, missing: 0, landings: { K: 0, Kd: 0, B: 0, T: 0 }, killedAfterEnd: 0, violations: [] };
  const counts = async (): Promise<Map<number, number>> => {
    const rows = await db.query(`SELECT item, COUNT(*) FROM ${effects} GROUP BY item`);
    return new Map(rows.map((r) => [Number(r[0]), Number(r[1])]));
  };
  let handle = safeState(async (_: number[]) => undefined, { name: '-', backend });
  const keyOf = (cp: Checkpoint | null, c: Map<number, number>) => JSON.stringify([cp ? [...cp.completedIndices].sort((x, y) => x - y) : null, [...c].sort((x, y) => x[0] - y[0])]);
  const snapshot = async () => {
    const cp = await handle.peekCheckpoint();
    const c = await counts();
    return { cp, c, key: keyOf(cp, c) };
  };
  try {
    await db.query(`CREATE TABLE ${effects} (item INTEGER NOT NULL)`);
    let job = 0;
    let killsLeft = o.kills;
    while (killsLeft > 0 || job === 0) {
      job++;
      if (job > 3 * o.kills + 3) {
        s.violations.push(`the kills never landed (${killsLeft} left after ${job - 1} jobs)`);
        break;
      }
      await db.query(`DELETE FROM ${effects}`);
      // Not `concurrently` in the SQLite control case: there the backend's own connection saves
      // synchronously while the items' connection holds SQLite's write lock for the other items'
      // open transactions, in the same thread, so the save waits out its busy timeout and fails
      // ("database is locked") instead of showing repeats.
      const parallel = !(o.separateBackend && o.dialect === 'sqlite');
      const roll = rng();
      const cfg: ExactlyOnceChildConfig = {
        dialect: o.dialect, where: o.where, table, effects, name: `eo-${o.seed}-${job}`, n: o.items,
        mode: o.subject === 'idempotent' ? 'idempotent' : roll < 0.5 || !parallel ? 'for-await' : 'concurrently', workMs: Math.floor(rng() * 3), separateBackend: o.separateBackend,
      };
      handle = safeState(async (_: number[]) => undefined, { name: cfg.name, backend });
      let runs = 0;
      for (;;) {
        runs++;
        s.runs++;
        let plan: KillPlan | null = null;
        if (killsLeft > 0) {
          const aims = o.aims ?? ['K', 'K', 'Kd', 'Kd', 'B', 'T'];
          const aim = aims[Math.floor(rng() * aims.length)];
          const after = 1 + Math.floor(rng() * Math.max(1, o.items / 4));
          plan = aim === 'T' ? { aim, ms: 150 + Math.floor(rng() * 900) } : { aim, after, delayMs: aim === 'Kd' ? 1 + Math.floor(rng() * 3) : 0 };
        }
        const out = await runOnce(cfg, plan, o.childArgs ?? ['--import', 'tsx', CHILD]);
        if (out.killed) {
          killsLeft--;
          s.kills++;
          s.landings[out.aim]++;
          // the checkpoint's done set (with committed records) must equal the items with an effect,
          // read once the dead run's last statements have settled: the server finishes a statement
          // (a COMMIT) it received before the kill, so a read right after the kill may see the
          // checkpoint before that commit and the effects after it. Two equal reads 25 ms apart.
          let { cp, c } = await snapshot();
          for (let settle = 0; settle < 20; settle++) {
            await sleep(25);
            const again = await snapshot();
            const same = again.key === keyOf(cp, c);
            ({ cp, c } = again);
            if (same) break;
          }
          const twice = [...c].filter(([, n]) => n > 1).map(([i]) => i);
          if (twice.length) s.violations.push(`job ${job} after kill ${s.kills}: items with two effects: ${twice.slice(0, 10).join(', ')}`);
          const done = new Set<number>(cp ? [...cp.completedIndices] : []);
          if (o.subject === 'idempotent') {
            o.log?.(`${o.dialect} keys ${job} run ${runs}: killed at ${out.aim}, ${c.size}/${o.items} sent`);
            continue;
          }
          // The job may have completed (its checkpoint deleted) before the kill landed, between
          // its end and the process's exit (a timed kill, or a fast job): no checkpoint, and every
          // item's effect there. The job's end is then checked as for a completed run.
          if (cp === null && c.size === o.items && twice.length === 0) {
            s.killedAfterEnd++;
            o.log?.(`${o.dialect} job ${job} run ${runs}: killed at ${out.aim} after the job had completed`);
            break;
          }
          const effectOnly = [...c.keys()].filter((i) => !done.has(i));
          const doneOnly = [...done].filter((i) => !c.has(i));
          if (effectOnly.length) s.violations.push(`job ${job} after kill ${s.kills} (${out.aim}): items with an effect but not done: ${effectOnly.slice(0, 10).join(', ')}`);
          if (doneOnly.length) s.violations.push(`job ${job} after kill ${s.kills} (${out.aim}): items done without an effect: ${doneOnly.slice(0, 10).join(', ')}`);
          o.log?.(`${o.dialect} job ${job} run ${runs}: killed at ${out.aim}, ${done.size}/${o.items} done`);
          continue;
        }
        if (out.code !== 0) {
          s.violations.push(`job ${job} run ${runs} failed (exit ${out.code}): ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
          return s;
        }
        break; // completed
      }
      s.jobs++;
      s.items += o.items;
      const c = await counts();
      let rows = 0;
      for (const [i, n] of c) {
        rows += n;
        if (n > 1) s.repeats += n - 1;
        if (i < 0 || i >= o.items) s.violations.push(`job ${job}: effect of unknown item ${i}`);
      }
      for (let i = 0; i < o.items; i++) if (!c.has(i)) s.missing++;
      s.effects += rows;
      if (o.subject === 'idempotent') continue;
      if (await backend.exists(cfg.name)) s.violations.push(`job ${job}: its checkpoint is still there after it completed`);
      const left = await backend.readRecords(cfg.name);
      if (left.length) s.violations.push(`job ${job}: ${left.length} completion records left after it completed`);
    }
    if (s.repeats) s.violations.push(`${s.repeats} repeated effects (exactly-once allows none)`);
    if (s.missing) s.violations.push(`${s.missing} items never processed`);
    return s;
  } finally {
    await db.query(`DROP TABLE IF EXISTS ${effects}`).catch(() => undefined);
    await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await backend.close();
    await db.close();
  }
}
