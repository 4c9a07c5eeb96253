import { AsyncLocalStorage } from 'node:async_hooks';
import type { ItemKey } from '../progress/key-progress';

/**
 * The seam of the test kit (`safe-state/testing`): where the engine tells an observer that an
 * item's body starts and that it finished, before its completion is recorded. A run has a probe
 * only inside the kit's scope; otherwise `JobRun.probe` is null and costs one null check per item.
 * @internal
 */
export interface ItemProbe {
  /** Item `index` (key `key` with the `key` option) is handed to the body. */
  started(index: number, key: ItemKey | undefined): void;
  /**
   * Item `index`'s body ran; its completion is about to be recorded. Throwing here leaves the
   * item undone, as an error at the end of the item's body would.
   */
  finished(index: number, key: ItemKey | undefined): void;
}

/** What the engine tells the kit about a run it starts. @internal */
export interface ProbedRun {
  /** the job's name */
  name: string;
  /** whether the run resumes a checkpoint */
  resuming: boolean;
  /** whether the job has the `key` option (the probe then gets keys) */
  keyed: boolean;
  /** reads the job's stored checkpoint (a public `Checkpoint`, or null) */
  peek(): Promise<unknown>;
}

/** The kit's side: gives a probe to the runs it wants to watch. @internal */
export interface ProbeHost {
  /** Called once per top-level run started in the kit's scope; null to leave it alone. */
  attach(run: ProbedRun): ItemProbe | null;
}

const KEY = Symbol.for('safe-state.item-probe.v1');
const g = globalThis as unknown as Record<symbol, AsyncLocalStorage<ProbeHost> | undefined>;
/** The kit's scope (shared by every loaded copy of safe-state, as the kit is a bundle of its own). @internal */
export const probeScope: AsyncLocalStorage<ProbeHost> = g[KEY] ?? (g[KEY] = new AsyncLocalStorage<ProbeHost>());
