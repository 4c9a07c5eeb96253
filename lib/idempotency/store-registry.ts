import * as path from 'node:path';
import type { StateBackend } from '../backends/state-backend';
import { FileBackend } from '../backends/file/file-backend';
import type { JobRun } from '../engine/job-run';
import { idempotencyStoreName, RESERVED_PREFIX } from '../engine/companions';
import { KeyStore } from './key-store';
import { StoreLease } from './store-lease';
import { defaultStateDir } from '../util/default-state-dir';

/**
 * Where idempotency stores are found: one {@link KeyStore} per stored cache in this process (so
 * that two cache objects over the same storage share its memory, its lease and its running calls;
 * two leases of one storage in one process would only wait for each other), one per job run, and
 * one default FileBackend per directory. A cache's storage is known by its location (the file
 * path, for file backends: two FileBackend objects over one directory are one storage), else by
 * the backend object.
 * @internal
 */
const shared = new WeakMap<StateBackend, Map<string, KeyStore>>();
/** Stores by location; weak, so that a store nobody uses any more (and whose lease is given back) can go. */
const byLocation = new Map<string, WeakRef<KeyStore>>();
const perRun = new WeakMap<JobRun, KeyStore>();
const defaultBackends = new Map<string, FileBackend>();

/** Backend entry name of the cache called `name`. @internal */
export function cacheStoreName(name: string): string {
  return `${RESERVED_PREFIX}idempotency:cache:${name}`;
}

/** The store of the cache `name` in `backend`, used under a lease. @internal */
export function cacheStore(backend: StateBackend, name: string): KeyStore {
  const storeName = cacheStoreName(name);
  const make = () => {
    const display = `idempotency cache '${name}'`;
    return new KeyStore(backend, storeName, display, new StoreLease(backend, storeName, display));
  };
  const where = backend.location(storeName);
  if (where) {
    let store = byLocation.get(where)?.deref();
    if (!store) byLocation.set(where, new WeakRef((store = make())));
    return store;
  }
  let byName = shared.get(backend);
  if (!byName) shared.set(backend, (byName = new Map()));
  let store = byName.get(name);
  if (!store) byName.set(name, (store = make()));
  return store;
}

/** The store of the `@Idempotent` records of a running job: in the job's backend, guarded by the job's lock. @internal */
export function jobStore(run: JobRun): KeyStore {
  let store = perRun.get(run);
  if (!store) {
    store = new KeyStore(run.backend, idempotencyStoreName(run.name), `the @Idempotent records of job '${run.name}'`, null);
    perRun.set(run, store);
  }
  return store;
}

/**
 * The FileBackend of a directory, shared in this process. Default: the default state directory
 * (`SAFE_STATE_DIR`, else `.safe_state`), read at each call and resolved against the working directory.
 * @internal
 */
export function defaultFileBackend(dir: string = defaultStateDir()): FileBackend {
  const abs = path.resolve(dir);
  let b = defaultBackends.get(abs);
  if (!b) defaultBackends.set(abs, (b = new FileBackend({ dir: abs })));
  return b;
}
