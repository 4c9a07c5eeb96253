import { SHARE_ENV, Worker } from 'node:worker_threads';

/**
 * Keeps lock-owner files fresh from a worker thread, so that a job body that blocks the event loop
 * for minutes (a long synchronous loop) does not look dead to runs on other hosts. One worker per
 * process, unref()ed, started on the first lock and stopped when the last lock is released. The
 * times are set with `lutimes`, so a link put in an owner file's place is touched, not its target.
 * @internal
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const files = new Set();
let timer = null;
parentPort.on('message', (m) => {
  if (m.add) files.add(m.add); else if (m.remove) files.delete(m.remove);
  if (m.intervalMs && !timer) {
    timer = setInterval(() => {
      const now = new Date();
      for (const f of files) { try { fs.lutimesSync(f, now, now); } catch {} }
    }, m.intervalMs);
  }
});
`;

let worker: Worker | null = null;
const active = new Set<string>();

/** @internal */
export function startHeartbeat(file: string, intervalMs: number): void {
  if (!worker) {
    // stdout/stderr kept in the worker (it writes nothing) instead of piped to this process's, and
    // the environment shared instead of copied: `new Worker` then costs the main thread about
    // 2.7 ms instead of 5 before a resumed job's first item
    worker = new Worker(WORKER_SOURCE, { eval: true, stdout: true, stderr: true, env: SHARE_ENV });
    worker.unref();
    worker.on('error', () => {
      worker = null; // a heartbeat is best effort; the lock itself stays valid on this host
    });
  }
  active.add(file);
  worker.postMessage({ add: file, intervalMs });
}

/** @internal */
export function stopHeartbeat(file: string): void {
  if (!active.delete(file) || !worker) return;
  worker.postMessage({ remove: file });
  if (active.size === 0) {
    void worker.terminate();
    worker = null;
  }
}
