import type { LockHolder } from '../backends/lock';

/**
 * Process-wide registries, kept on one symbol-keyed global object so that two loaded copies of
 * safe-state (say, a CJS and an ESM build, or two versions in node_modules) share them.
 * @internal
 */
export interface GlobalRegistry {
  /** in-process job locks, per backend scope object */
  inProcessLocks: WeakMap<object, Map<string, LockHolder>>;
  /** reconnectors by stable name (filled by the reconnect registry; entries: see lib/reconnect/registry.ts) */
  reconnectors: Map<string, unknown>;
  /** credentials resolvers, in registration order (see lib/reconnect/credentials.ts) */
  credentials: unknown[];
  /** transaction adapters, in registration order */
  transactionAdapters: unknown[];
  /**
   * transactions in flight: per-connection gates, hooks, ids of in-flight two-phase transactions
   * (created on first use by lib/transaction/shared-state.ts; absent in a registry made by an older copy)
   */
  transactionState?: object;
  /** whether the exactly-once transaction hook is installed (lib/engine/committed-items.ts) */
  committedItemsHook?: boolean;
  /** job names already warned about (one warning per job per process) */
  warned: Set<string>;
  /**
   * tokens of the shared-backend locks (Redis, SQL lease rows) this process holds now: a lock record
   * of this process whose token is not here is left over from a run whose release could not reach
   * the server, and is taken over like a dead holder's
   */
  liveLockTokens: Set<string>;
  /**
   * running jobs watching SIGINT/SIGTERM, and the one listener installed for them (lib/engine/signals.ts):
   * with two loaded copies, one listener flushes every copy's jobs before the signal is raised again
   */
  /** job definitions of decorated methods, per class decorator-metadata object (lib/decorators/metadata.ts) */
  jobDefinitions?: WeakMap<object, Map<string | symbol, unknown>>;
  /** the AsyncLocalStorage of withBackend() scopes (lib/config/scoped-backend.ts), made on first use */
  scopedBackend?: object;
  /**
   * the process-wide defaults of configure() (lib/config/configure.ts): a frozen options object, or
   * undefined when configure() was never called or everything was reset
   */
  configured?: Readonly<Record<string, unknown>>;
  /** backends opened from a URL (SAFE_STATE_URL, configure({ backend: url })), one per URL (lib/config/url-backends.ts) */
  urlBackends?: Map<string, unknown>;
  /** calls of jobs observed so far: the last `runId` of the diagnostics channels' messages (lib/observe/channels.ts) */
  observedRuns?: number;
  signalWatch?: { runs: Set<unknown>; listener: ((signal: NodeJS.Signals) => void) | null };
}

const KEY = Symbol.for('safe-state.global-registry.v1');

/** @internal */
export function globalRegistry(): GlobalRegistry {
  const g = globalThis as unknown as Record<symbol, GlobalRegistry | undefined>;
  let r = g[KEY];
  if (!r) {
    r = { inProcessLocks: new WeakMap(), reconnectors: new Map(), credentials: [], transactionAdapters: [], warned: new Set(), liveLockTokens: new Set() };
    Object.defineProperty(globalThis, KEY, { value: r, enumerable: false, configurable: false, writable: false });
  }
  // a copy of safe-state older than a field may have created the object without it
  r.credentials ??= [];
  r.liveLockTokens ??= new Set();
  return r;
}
