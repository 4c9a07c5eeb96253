import type { ClaimAnswer, KeyClaims } from '../../idempotency/key-claims';
import { RedisScript } from './redis-script';
import { encodeJobName } from './redis-keys';
import type { RedisChunkIo } from './redis-chunks';

/**
 * Claims a key. KEYS: the key's record. ARGV: `c<token>`, lease ms. A missing record becomes our
 * claim (`SET … PX`): `{'won'}`; a value (`v<text>`): `{'done', text}`; a live claim:
 * `{'held', remaining ms}` (a lapsed claim is gone: Redis expired it).
 */
const CLAIM = new RedisScript(
  `local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {'won'}
end
if string.sub(cur, 1, 1) == 'v' then return {'done', string.sub(cur, 2)} end
return {'held', redis.call('PTTL', KEYS[1])}`,
  1,
);

/** Records a value when the key holds our claim. KEYS: record. ARGV: `c<token>`, `v<text>`, ttl ms (`''`: none). */
const RECORD = new RedisScript(
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`,
  1,
);

/** Renews our claim (ARGV: `c<token>`, lease ms) or, with lease `''`, deletes it. Returns 1 when it was ours. */
const OWN = new RedisScript(
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`,
  1,
);

/** Deletes a record; returns 1 when it held a value (not a claim). */
const REMOVE = new RedisScript(
  `local cur = redis.call('GET', KEYS[1])
if not cur or string.sub(cur, 1, 1) ~= 'v' then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
  1,
);

/** Glob characters of `SCAN MATCH`, escaped in the literal part of a pattern. */
const GLOB_RE = /[*?[\]\\]/g;

/**
 * Per-key claims of {@link RedisBackend} (idempotency at scale, see key-claims.ts). One Redis key per
 * idempotency key: `<prefix>idem:{<store>}:<key>` (the store name escaped as job names are, so its
 * closing brace ends it unambiguously; the key as given: Redis keys are binary-safe), holding `c<token>` with the lease as its `PX` expiry while a
 * call runs, then `v<text>` with the record's TTL. Every write of a holder is a script that checks
 * its token first. `clear` scans the store's keys (`SCAN MATCH`, glob characters escaped).
 * @internal
 */
export class RedisKeyClaims implements KeyClaims {
  constructor(
    private readonly prefix: string,
    readonly leaseMs: number,
    private readonly io: RedisChunkIo,
  ) {}

  private head(store: string): string {
    return `${this.prefix}idem:{${encodeJobName(store)}}:`;
  }

  private run(what: string, script: RedisScript, store: string, key: string, args: (string | number)[]): Promise<unknown> {
    return this.io.script(`${what} of idempotency key ${JSON.stringify(key)}`, script, [this.head(store) + key], args);
  }

  async claim(store: string, key: string, token: string, leaseMs: number): Promise<ClaimAnswer> {
    const r = (await this.run('cannot claim', CLAIM, store, key, [`c${token}`, Math.ceil(leaseMs)])) as unknown[];
    const kind = String(r[0]);
    if (kind === 'won') return { kind: 'won' };
    if (kind === 'done') return { kind: 'done', text: String(r[1] ?? '') };
    const left = Number(r[1]);
    return { kind: 'held', retryInMs: left > 0 ? left : 1 };
  }

  async renew(store: string, key: string, token: string, leaseMs: number): Promise<boolean> {
    return Number(await this.run('cannot renew the claim', OWN, store, key, [`c${token}`, Math.ceil(leaseMs)])) === 1;
  }

  async record(store: string, key: string, token: string, text: string, ttlMs: number | undefined): Promise<boolean> {
    const ttl = ttlMs === undefined ? '' : Math.max(1, Math.ceil(ttlMs));
    return Number(await this.run('cannot record the result', RECORD, store, key, [`c${token}`, `v${text}`, ttl])) === 1;
  }

  async release(store: string, key: string, token: string): Promise<void> {
    await this.run('cannot release the claim', OWN, store, key, [`c${token}`, '']);
  }

  async read(store: string, key: string): Promise<string | null> {
    const v = await this.io.cmd(`cannot read idempotency key ${JSON.stringify(key)}`, 'GET', [this.head(store) + key]);
    if (v == null) return null;
    const s = typeof v === 'string' ? v : String(v);
    return s.startsWith('v') ? s.slice(1) : null;
  }

  async put(store: string, key: string, text: string, ttlMs: number | undefined): Promise<void> {
    const args: (string | number)[] = [this.head(store) + key, `v${text}`];
    if (ttlMs !== undefined) args.push('PX', Math.max(1, Math.ceil(ttlMs)));
    await this.io.cmd(`cannot record idempotency key ${JSON.stringify(key)}`, 'SET', args);
  }

  async remove(store: string, key: string): Promise<boolean> {
    return Number(await this.run('cannot delete', REMOVE, store, key, [])) === 1;
  }

  async clear(store: string): Promise<void> {
    const match = this.head(store).replace(GLOB_RE, '\\$&') + '*';
    let cursor = '0';
    do {
      const r = (await this.io.cmd(`cannot list the keys of '${store}'`, 'SCAN', [cursor, 'MATCH', match, 'COUNT', 1000])) as [unknown, unknown[]];
      cursor = String(r[0]);
      const keys = (r[1] ?? []).map(String);
      if (keys.length > 0) await this.io.cmd(`cannot clear '${store}'`, 'UNLINK', keys);
    } while (cursor !== '0');
  }
}
