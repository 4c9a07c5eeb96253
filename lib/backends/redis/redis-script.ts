import { createHash } from 'node:crypto';
import type { RedisClientLike } from './redis-client';
import type { JobKeys } from './redis-keys';

/**
 * A Lua script run with `EVALSHA` (one round trip, the script body is not resent), falling back to
 * `EVAL` when the server does not know it yet (first use, or a server restarted since).
 * @internal
 */
export class RedisScript {
  private digest: string | undefined;

  constructor(readonly lua: string, readonly keyCount: number) {}

  /** The script's SHA-1 (hex), what `EVALSHA` names it by: computed at first use, not when safe-state loads. */
  get sha(): string {
    return (this.digest ??= createHash('sha1').update(this.lua).digest('hex'));
  }

  /** Runs the script with `keys` then `args`. */
  async run(client: RedisClientLike, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.call('EVALSHA', [this.sha, this.keyCount, ...keys, ...args]);
    } catch (e) {
      if (!String((e as Error)?.message).startsWith('NOSCRIPT')) throw e;
      return client.call('EVAL', [this.lua, this.keyCount, ...keys, ...args]);
    }
  }
}

/**
 * A write fenced by the job's lock and its generation. KEYS: checkpoint, lock, fence counter,
 * checkpoint generation (see {@link JobKeys}). ARGV: text, our lock record (`''` when the run holds
 * no lock through this backend: an unfenced write), lease ms, `'s'` (SET) or `'a'` (APPEND), `'1'`
 * to renew the lease now (else `'0'`: the client renews it once a third of it has passed, sparing
 * most saves the `PEXPIRE`), our generation (the fence counter's value when we took the lock), the
 * generation this run last wrote (`''` when it has not written yet).
 *
 * With a lock record, the text is written only when
 * - the lock holds our record, or it lapsed and nobody took the job since (the fence counter is
 *   still our generation: the lease is then taken back), and
 * - the stored generation is the one this run last wrote (or, before its first write, none newer
 *   than ours): a checkpoint another run wrote, or cleared, since is never overwritten or recreated.
 * Otherwise nothing is written: the answer is the current lock record when another run holds the
 * lock, else 0. Returns 1 when written.
 * @internal
 */
export const WRITE = new RedisScript(
  `local mine = ARGV[2]
if mine ~= '' then
  local cur = redis.call('GET', KEYS[2])
  if cur ~= mine then
    if cur then return cur end
    if redis.call('GET', KEYS[3]) ~= ARGV[6] then return 0 end
  end
  local gen = redis.call('GET', KEYS[4])
  if ARGV[7] ~= '' then
    if gen ~= ARGV[7] then return 0 end
  elseif gen and (tonumber(gen) or 0) > tonumber(ARGV[6]) then
    return 0
  end
  if cur ~= mine then
    redis.call('SET', KEYS[2], mine, 'PX', ARGV[3])
  elseif ARGV[5] == '1' then
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
  end
  if gen ~= ARGV[6] then redis.call('SET', KEYS[4], ARGV[6]) end
end
if ARGV[4] == 'a' then
  redis.call('APPEND', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1`,
  4,
);

/**
 * Deletes a checkpoint (and its generation), fenced like {@link WRITE} when a lock record is given.
 * KEYS: checkpoint, lock, fence counter, checkpoint generation. ARGV: our lock record (`''`:
 * unfenced), our generation. Returns 1 when deleted, else what {@link WRITE} answers.
 * @internal
 */
export const DELETE = new RedisScript(
  `if ARGV[1] ~= '' then
  local cur = redis.call('GET', KEYS[2])
  if cur ~= ARGV[1] then
    if cur then return cur end
    if redis.call('GET', KEYS[3]) ~= ARGV[2] then return 0 end
  end
end
redis.call('DEL', KEYS[1], KEYS[4])
return 1`,
  4,
);

/**
 * Takes a job's lock. KEYS: lock, fence counter. ARGV: our lock record, lease ms, the record to
 * replace (a holder known to be gone; `''` for none). Takes it when it is free, or holds the record
 * to replace, and then increments the fence counter: the answer is `{1, generation}`. Otherwise
 * `{0, current record}`.
 * @internal
 */
export const ACQUIRE = new RedisScript(
  `local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[3] then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, redis.call('INCR', KEYS[2])}`,
  2,
);

/**
 * Compare-and-set of a lock. KEYS: lock. ARGV: expected value, new value (`''` deletes), lease ms.
 * Returns 1 when the lock held the expected value (and was replaced or deleted), else the current
 * value (or false when there is none).
 * @internal
 */
export const SWAP = new RedisScript(
  `local cur = redis.call('GET', KEYS[1])
if cur ~= ARGV[1] then return cur end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1`,
  1,
);
