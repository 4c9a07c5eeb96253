import { createHash } from 'node:crypto';
import type { RedisClientLike } from './redis-client';

/**
 * A Lua script run with `EVALSHA` (one round trip, the script body is not resent), falling back to
 * `EVAL` when the server does not know it yet (first use, or a server restarted since).
 * @internal
 */
export class RedisScript {
  readonly sha: string;

  constructor(readonly lua: string, readonly keyCount: number) {
    this.sha = createHash('sha1').update(lua).digest('hex');
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
 * A write fenced by the job's lock. KEYS: checkpoint, lock. ARGV: text, our lock value (`''` when
 * the run holds no lock through this backend), lease ms, `'s'` (SET) or `'a'` (APPEND), `'1'` to
 * renew the lease now (else `'0'`: the client renews it once a third of it has passed, sparing
 * most saves the `PEXPIRE`).
 * With a lock value: when another run holds the lock, nothing is written and its value is returned;
 * otherwise the lease is renewed when asked (or taken back when it lapsed unclaimed) and the text
 * written. Returns 1 when written.
 * @internal
 */
export const WRITE = new RedisScript(
  `local mine = ARGV[2]
if mine ~= '' then
  local cur = redis.call('GET', KEYS[2])
  if cur == mine then
    if ARGV[5] == '1' then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
  elseif cur then
    return cur
  else
    redis.call('SET', KEYS[2], mine, 'PX', ARGV[3])
  end
end
if ARGV[4] == 'a' then
  redis.call('APPEND', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1`,
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
