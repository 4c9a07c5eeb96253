import { SafeState, MemoryBackend, FileBackend, type StateBackend } from '../../lib/index';
import { tempDir } from '../helpers';

/** The local backends the observability specs run a job on: label (the backend's class name) and a factory. */
export const LOCAL_BACKENDS: [string, () => StateBackend][] = [
  ['MemoryBackend', () => new MemoryBackend()],
  ['FileBackend', () => new FileBackend({ dir: tempDir('safe-state-observe-') })],
];

/** A job class over numbers, on `backend`, whose instances throw `TypeError('item N is bad')` at item `failAt` (none by default). */
export function failingJob(backend: StateBackend, name: string) {
  class Job {
    failAt = -1;
    @SafeState({ name, backend })
    async run(items: number[]) {
      for (const i of items) if (i === this.failAt) throw new TypeError(`item ${i} is bad`);
      return 'ok';
    }
  }
  return Job;
}
