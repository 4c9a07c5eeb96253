/**
 * The worker thread of blocking saves (see blocking-channel.ts): opens the run's backend on a
 * connection of its own, then runs each request it is sent (`save`, `append`, `close`) in order,
 * posts the answer on its port and bumps the shared counter, which wakes the run's thread waiting
 * in `Atomics.wait`. Built into `dist/blocking-worker.js` beside `dist/index.js`.
 * @internal
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { WorkerSpec } from './worker-spec';
import type { BlockingAnswer, BlockingRequest } from './blocking-protocol';
import { openWorkerBackend, type WorkerBackend } from './open-worker-backend';

const { port, answered, spec, jobName } = workerData as { port: MessagePort; answered: Int32Array; spec: WorkerSpec; jobName: string };

let opened: Promise<WorkerBackend> | null = null;
function open(): Promise<WorkerBackend> {
  opened ??= openWorkerBackend(spec).then((w) => {
    if (spec.lock) w.backend.adoptLock?.(jobName, spec.lock);
    return w;
  });
  opened.catch(() => {
    opened = null; // the next request tries again
  });
  return opened;
}

function answer(a: BlockingAnswer): void {
  port.postMessage(a);
  Atomics.add(answered, 0, 1);
  Atomics.notify(answered, 0);
}

function describe(e: unknown): BlockingAnswer['error'] {
  const x = e as { name?: unknown; code?: unknown; message?: unknown; holder?: unknown; lost?: unknown };
  return {
    name: typeof x?.name === 'string' ? x.name : 'Error',
    code: typeof x?.code === 'string' ? x.code : null,
    message: typeof x?.message === 'string' ? x.message : String(e),
    holder: x?.holder && typeof x.holder === 'object' ? (JSON.parse(JSON.stringify(x.holder)) as Record<string, unknown>) : null,
    lost: x?.lost === true,
  };
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (r: BlockingRequest) => {
  queue = queue.then(async () => {
    try {
      const w = await open();
      if (r.op === 'close') {
        await w.close();
      } else if (r.op === 'append') {
        await w.backend.append!(r.jobName, r.data, { durability: r.durability });
      } else {
        await w.backend.save(r.jobName, r.data, { durability: r.durability });
      }
      answer({ id: r.id, ok: true });
    } catch (e) {
      answer({ id: r.id, ok: false, error: describe(e) });
    }
    if (r.op === 'close') port.close();
  });
});
void open().catch(() => undefined); // connect while the body runs its first item; a failure is reported by the first save
