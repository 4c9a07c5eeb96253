/**
 * Child process of the at-least-once soak (bench/soak.ts): one run of a resumable job over the
 * items 0..n-1 on one of the soak's backends (bench/soak-backends.ts: File, Redis, SQLite, MariaDB,
 * PostgreSQL), which the parent SIGKILLs at random moments. Every item's side effect is `index\n`
 * appended to the effects file (the external ledger), synchronously, before the item can count as
 * done. Run under plain node from an esbuild bundle with the database drivers left external
 * (bench/soak-bundle.ts; never through the tsx CLI, which forks: a SIGKILL would miss the job),
 * with the phase pipe of the crash tests on fd 3 (SAFE_STATE_TEST_PHASE_FD) so the parent knows
 * where a kill landed (`B` from the engine on every backend; `S`/`F`/`D` from FileBackend only).
 * The loop form must be one its backend is soaked under (`SoakBackend.loops`: no `for..of` on the
 * backends that cannot save synchronously, see there).
 * Argument: one JSON {@link SoakChildConfig}. Exit 0 when the job completed, 1 on any error.
 */
import * as fs from 'node:fs';
import { SafeState, checkpoint } from '../lib/index';
import { SOAK_BACKENDS, type SoakLoop, type SoakPlace } from './soak-backends';

export type { SoakLoop };

export interface SoakChildConfig {
  backend: string;
  place: SoakPlace;
  name: string;
  n: number;
  loop: SoakLoop;
  effects: string;
  /** busy-wait per item before its effect, µs */
  workBeforeUs: number;
  /** busy-wait per item after its effect, µs (a kill there must repeat the item) */
  workAfterUs: number;
  /** also `checkpoint({ last, pad })` per item, with a pad of this many characters (0: no state) */
  statePad: number;
  /**
   * A fault injected on purpose, to show that the soak's checks catch it: `lose-item` skips the
   * effect of item floor(n / 2), so that item is done without its effect, as a lost item looks.
   */
  fault?: 'lose-item' | null;
}

function busy(us: number): void {
  if (us <= 0) return;
  const end = process.hrtime.bigint() + BigInt(Math.round(us)) * 1000n;
  while (process.hrtime.bigint() < end) {
    /* spin */
  }
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]) as SoakChildConfig;
  const entry = SOAK_BACKENDS.find((b) => b.id === cfg.backend);
  if (!entry) throw new Error(`unknown soak backend ${cfg.backend}`);
  if (!entry.loops.includes(cfg.loop)) throw new Error(`the soak does not run ${cfg.loop} on ${entry.label} (its loops: ${entry.loops.join(', ')})`);
  const backend = await entry.open(cfg.place);
  const pad = 'x'.repeat(cfg.statePad);

  const item = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= cfg.n) throw new Error(`bad item ${String(i)}`);
    busy(cfg.workBeforeUs);
    if (cfg.fault !== 'lose-item' || i !== Math.floor(cfg.n / 2)) fs.appendFileSync(cfg.effects, `${i}\n`);
    busy(cfg.workAfterUs);
    if (cfg.statePad > 0) {
      checkpoint({ last: i, pad }).catch((e: unknown) => {
        process.stderr.write(`checkpoint() failed: ${String(e)}\n`);
        process.exit(1);
      });
    }
  };
  const options = { name: cfg.name, backend, saveEvery: 1, durability: entry.durability };

  class SoakJob {
    @SafeState(options)
    async forOf(items: number[]): Promise<void> {
      for (const i of items) item(i);
    }

    @SafeState(options)
    async forAwait(items: number[]): Promise<void> {
      for await (const i of items) item(i);
    }

    @SafeState(options)
    async asyncGen(items: AsyncIterable<number>): Promise<void> {
      for await (const i of items) item(i);
    }

    @SafeState(options)
    async syncGen(items: Iterable<number>): Promise<void> {
      for (const i of items) item(i);
    }
  }

  async function* asyncItems(n: number): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) await null;
      yield i;
    }
  }
  function* syncItems(n: number): Generator<number> {
    for (let i = 0; i < n; i++) yield i;
  }

  const job = new SoakJob();
  const items = Array.from({ length: cfg.n }, (_, i) => i);
  switch (cfg.loop) {
    case 'for-of':
      await job.forOf(items);
      break;
    case 'for-await':
      await job.forAwait(items);
      break;
    case 'async-gen':
      await job.asyncGen(asyncItems(cfg.n));
      break;
    case 'sync-gen':
      await job.syncGen(syncItems(cfg.n));
      break;
  }
  await backend.close();
  process.stdout.write('complete\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`soak-child: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
