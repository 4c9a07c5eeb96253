import type { RedisClientLike } from './redis-client';
import type { JobKeys } from './redis-keys';
import { WRITE } from './redis-script';

/**
 * What fences a write: the run's lock record, the generation its lock acquisition got, and the
 * generation this run last wrote (`''` before its first write). Plain data, so that any writer
 * (the backend, or a worker thread saving for a synchronous loop) can pass it explicitly.
 * @internal
 */
export interface RedisFence {
  record: string;
  gen: string;
  lastWritten: string;
}

/** One fenced write, every input explicit. @internal */
export interface RedisWriteInput {
  keys: JobKeys;
  text: string;
  /** `'s'`: replace the checkpoint; `'a'`: append to it */
  mode: 's' | 'a';
  leaseMs: number;
  /** renew the lock's lease in the same round trip */
  renew: boolean;
  /** null: the run holds no lock through this backend (an unfenced write) */
  fence: RedisFence | null;
}

/**
 * Runs the {@link WRITE} script: `true` when written, else the current lock record (another run
 * holds the lock) or `null` (the job moved on since this run last wrote it: nothing was written).
 * On success the caller records `fence.gen` as the generation it last wrote.
 * @internal
 */
export async function redisWrite(client: RedisClientLike, input: RedisWriteInput): Promise<true | { holder: unknown }> {
  const { keys, fence } = input;
  const r = await WRITE.run(client, [keys.data, keys.lock, keys.fence, keys.gen], [
    input.text,
    fence?.record ?? '',
    input.leaseMs,
    input.mode,
    input.renew ? '1' : '0',
    fence?.gen ?? '',
    fence?.lastWritten ?? '',
  ]);
  return r === 1 ? true : { holder: r === 0 ? null : r };
}
