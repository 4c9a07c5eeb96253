/**
 * Where the at-least-once soak (bench/soak.ts) aims its SIGKILLs, and the watcher that fires them.
 *
 * A quarter of the kills come at a random time after the spawn within the start-up (module
 * loading, lock, load, the run's first save), as measured on earlier runs. The others come after a
 * random number of items (averaging the items left over the kills left, so the job lasts for the
 * kills), at a moment read from the phase pipe of the crash tests (SAFE_STATE_TEST_PHASE_FD):
 *
 * - on a backend that writes save phases (FileBackend: `S` save started, `F` fsync, `D` saved), at
 *   the next byte matching a random aim: in a save (`S`/`F`), in the body (`B`), anywhere (a random
 *   count of bytes on);
 * - on the others (Redis, SQL: only the engine's `B`), at a `B` (in the body, right after the item
 *   was handed out) or a random 0–4 ms after one (in the body, in the item's save, or in a later
 *   item: a kill needs no phase byte to land, only one to be aimed).
 */
import { randInt, type ChildControl, type PhaseByte } from '../spec/crash/crash-harness';

export type KillPlan =
  | { kind: 'timed'; delayMs: number }
  | { kind: 'phase'; afterItems: number; aim: 'save' | 'body' | 'any'; anyExtra: number }
  | { kind: 'after-body'; afterItems: number; delayMs: number };

/** The aims, as counted in the summary. */
export const AIMS = ['timed', 'save', 'body', 'any', 'after-body'] as const;
export type KillAim = (typeof AIMS)[number];

export function aimOf(plan: KillPlan): KillAim {
  return plan.kind === 'phase' ? plan.aim : plan.kind;
}

/** A random kill (see the file's description). */
export function planKill(rng: () => number, itemsLeft: number, killsLeft: number, startupMs: number, savePhases: boolean): KillPlan {
  if (rng() < 0.25) return { kind: 'timed', delayMs: rng() * startupMs * 1.3 };
  const most = Math.max(1, Math.floor((2 * itemsLeft) / (killsLeft + 1)));
  if (!savePhases) {
    const afterItems = randInt(rng, 1, most);
    return rng() < 0.4 ? { kind: 'phase', afterItems, aim: 'body', anyExtra: 0 } : { kind: 'after-body', afterItems, delayMs: rng() * 4 };
  }
  const roll = rng();
  return { kind: 'phase', afterItems: randInt(rng, 1, most), aim: roll < 0.45 ? 'save' : roll < 0.75 ? 'body' : 'any', anyExtra: randInt(rng, 0, 3) };
}

/** What runChild needs to carry out a plan: a timer from the spawn, or a phase-byte watcher. */
export interface KillWatch {
  onStart?: (ctl: ChildControl) => (() => void) | void;
  onPhase?: (b: PhaseByte, ctl: ChildControl) => void;
}

export function killWatch(plan: KillPlan): KillWatch {
  if (plan.kind === 'timed') {
    return {
      onStart: (ctl) => {
        const t = setTimeout(() => ctl.kill('SIGKILL'), plan.delayMs);
        return () => clearTimeout(t);
      },
    };
  }
  let items = 0;
  if (plan.kind === 'after-body') {
    let armed = false;
    let cancel = () => undefined as void;
    return {
      onStart: () => () => cancel(),
      onPhase: (b, ctl) => {
        if (b === 'B') items++;
        if (items < plan.afterItems || armed) return;
        armed = true;
        const kill = () => ctl.kill('SIGKILL');
        if (plan.delayMs < 1) {
          const t = setImmediate(kill);
          cancel = () => clearImmediate(t);
        } else {
          const t = setTimeout(kill, plan.delayMs);
          cancel = () => clearTimeout(t);
        }
      },
    };
  }
  let extra = plan.anyExtra;
  return {
    onPhase: (b, ctl) => {
      if (b === 'B') items++;
      if (items < plan.afterItems) return;
      if (plan.aim === 'any' ? extra-- <= 0 : plan.aim === 'body' ? b === 'B' : b === 'S' || b === 'F') ctl.kill('SIGKILL');
    },
  };
}
