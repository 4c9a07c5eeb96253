import type { RedisOptions } from 'ioredis';
import { StateBackend } from '../state-backend';
import { withDeadline } from '../deadline';
import type { BackendLock, LockHolder } from '../lock';
import { parseLockRecord } from '../lock-record';
import type { RedisClientLike } from './redis-client';
import { RedisKeys } from './redis-keys';
import { WRITE, type RedisScript } from './redis-script';
import { RedisChunks } from './redis-chunks';
import type { SharedChunkStore } from '../shared-chunks';
import { takeRedisLock, type HeldRedisLock } from './redis-lock';
import { DEFAULT_CONNECT_TIMEOUT_MS, resolveRedisOptions, type RedisBackendOptions, type RedisUrlOptions } from './redis-options';
import { BackendError } from '../../errors/backend-error';
import { InvalidOptionsError } from '../../errors/invalid-options-error';
import { JobLockedError } from '../../errors/job-locked-error';
import { SafeStateError } from '../../errors/safe-state-error';

/** The ioredis client made by fromUrl. */
type OwnedClient = RedisClientLike & {
  on(event: string, fn: (e: Error) => void): unknown;
  on(event: 'ready', fn: () => void): unknown;
  once(event: string, fn: () => void): unknown;
  disconnect(): void;
  quit(): Promise<unknown>;
};

/**
 * Keeps checkpoints in Redis (ioredis), where many workers on many hosts can share them.
 *
 * - A job's checkpoint is one string key, `<prefix>job:{<job name>}`; its lock is
 *   `<prefix>lock:{<job name>}` (job names may hold any character: `%`, braces, control characters
 *   and unpaired surrogates are percent-escaped, reversibly).
 * - `save` replaces the checkpoint with one atomic `SET`; `append` adds a small record with
 *   `APPEND`: a save per item is one round trip. Both run as one small Lua script that refuses to
 *   write when another run has taken the lock over (the run then fails with `JobLockedError`), so
 *   two runs never write one checkpoint, and that renews the lock's lease once a third of it has
 *   passed.
 * - The lock is a lease (`SET NX PX`, 30 s by default) holding the holder's pid and host, renewed
 *   while the job runs. A second run fails with `JobLockedError` naming the holder. A holder that
 *   died is taken over when its lease runs out, at once when it was a process on this host.
 * - `list` walks the keys with `SCAN` (never `KEYS`).
 *
 * A save counts when Redis acknowledges it; whether it survives a Redis crash is Redis's
 * persistence setting (`appendonly yes` with `appendfsync always` for every acknowledged write).
 * There are no synchronous hooks, so use `for await` loops for the at-most-the-item-in-flight
 * guarantee (see docs/backends.md).
 *
 * @example
 * ```ts
 * const backend = RedisBackend.fromUrl('redis://127.0.0.1:6379', { prefix: 'myapp:' });
 * class Sync { @SafeState({ name: 'sync-users', backend }) async run(ids: string[]) { for await (const id of ids) await sync(id); } }
 * await new Sync().run(ids);
 * await backend.close(); // fromUrl's client is the backend's: close it when done
 * ```
 */
export class RedisBackend extends StateBackend {
  /** The client the backend talks through. */
  readonly client: RedisClientLike;
  /** The key prefix (validated). */
  readonly prefix: string;
  private readonly keys: RedisKeys;
  private readonly leaseMs: number;
  private readonly held = new Map<string, HeldRedisLock>();
  /** the client fromUrl made (closed by close()), else null */
  private owned: OwnedClient | null = null;
  /** for a client of fromUrl: how long connecting may take */
  private connectTimeoutMs = 0;
  private connecting: Promise<void> | null = null;
  private lastConnectionError: Error | null = null;
  /** `host:port` of the server, for messages (never a password) */
  private readonly where: string;

  /**
   * Uses a client of yours; the backend never closes it. Configure it to fail fast (see
   * docs/backends.md): with ioredis' defaults, commands wait for a lost server for over a minute.
   * @param client - an ioredis client (or anything with a compatible `call`)
   * @param options - see {@link RedisBackendOptions}
   */
  constructor(client: RedisClientLike, options?: RedisBackendOptions) {
    super();
    if (!client || typeof (client as { call?: unknown }).call !== 'function') {
      throw new InvalidOptionsError('client', 'RedisBackend needs an ioredis client (an object with a call(command, args) method)');
    }
    const o = resolveRedisOptions(options);
    this.client = client;
    this.prefix = o.prefix;
    this.keys = new RedisKeys(o.prefix);
    this.leaseMs = o.leaseMs;
    const co = (client as { options?: { host?: unknown; port?: unknown; path?: unknown } }).options;
    this.where = typeof co?.path === 'string' && co.path ? ` at ${co.path}` : typeof co?.host === 'string' ? ` at ${co.host}:${String(co.port ?? 6379)}` : '';
  }

  /**
   * Creates an ioredis client for `url` (loading ioredis only now) configured to fail fast: when
   * Redis is unreachable, operations fail with `BackendError` within `connectTimeoutMs` (5 s by
   * default) instead of ioredis' minute of retries. The client reconnects in the background, so a
   * later run works again once Redis is back. The backend owns this client: {@link RedisBackend.close}
   * closes it.
   * @param url - `redis://[user:password@]host[:port][/db]` or `rediss://…`
   * @param options - see {@link RedisUrlOptions}
   */
  static fromUrl(url: string, options?: RedisUrlOptions): RedisBackend {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidOptionsError('url', `RedisBackend.fromUrl needs a redis:// or rediss:// URL (got ${JSON.stringify(url)})`);
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new InvalidOptionsError('url', `RedisBackend.fromUrl needs a redis:// or rediss:// URL (got protocol ${parsed.protocol})`);
    }
    resolveRedisOptions(options);
    const timeout = options?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let Redis: new (url: string, options: RedisOptions) => OwnedClient;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      Redis = (require('ioredis') as typeof import('ioredis')).Redis as unknown as typeof Redis;
    } catch (e) {
      throw new BackendError(`RedisBackend.fromUrl needs the ioredis package: npm install ioredis (${(e as Error).message})`, { cause: e });
    }
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeout,
      commandTimeout: timeout,
      // fail queued commands at the first failed reconnect, and keep reconnecting in the background
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(100 * times, 2_000),
      ...(options?.redisOptions as RedisOptions | undefined),
    });
    const { connectTimeoutMs: _t, redisOptions: _r, ...own } = options ?? {};
    const backend = new RedisBackend(client, own);
    backend.owned = client;
    backend.connectTimeoutMs = timeout;
    client.on('error', (e: Error) => {
      backend.lastConnectionError = e; // reported with the failing operation (and never unhandled)
    });
    client.on('ready', () => {
      backend.lastConnectionError = null;
    });
    return backend;
  }

  /** Connects a client that was created lazily and not connected yet (ours, or the user's). */
  private ready(): Promise<void> | null {
    const status = this.client.status;
    if (status !== 'wait' || typeof this.client.connect !== 'function') return null;
    this.connecting ??= this.client.connect().finally(() => {
      this.connecting = null;
    });
    if (!this.owned) return this.connecting;
    return withDeadline(this.connecting, this.connectTimeoutMs, () => new Error(`could not connect within ${this.connectTimeoutMs} ms`));
  }

  private fail(e: unknown, what: string): Error {
    if (SafeStateError.is(e)) return e;
    const last = this.lastConnectionError;
    const detail = last && last !== e && last.message !== (e as Error)?.message ? ` (connection: ${last.message})` : '';
    return new BackendError(`Redis${this.where}: ${what}: ${e instanceof Error ? e.message : String(e)}${detail}`, { cause: e });
  }

  private async cmd(what: string, command: string, args: (string | number)[]): Promise<unknown> {
    try {
      const r = this.ready();
      if (r) await r;
      return await this.client.call(command, args);
    } catch (e) {
      throw this.fail(e, what);
    }
  }

  private chunks: RedisChunks | null = null;

  /**
   * The chunk store of shared jobs (`workers: 'shared'`): Lua scripts over a record, a sorted set of
   * leases and a bitmap of done items per job (see docs/shared-workers.md).
   */
  override sharedChunks(): SharedChunkStore {
    return (this.chunks ??= new RedisChunks(this.prefix, {
      cmd: (what, command, args) => this.cmd(what, command, args),
      script: async (what, script: RedisScript, keys, args) => {
        try {
          const r = this.ready();
          if (r) await r;
          return await script.run(this.client, keys, args);
        } catch (e) {
          throw this.fail(e, what);
        }
      },
    }));
  }

  /**
   * `GET` of the job's key.
   * @param jobName - the job
   */
  async load(jobName: string): Promise<string | null> {
    const v = await this.cmd(`cannot load job '${jobName}'`, 'GET', [this.keys.data(jobName)]);
    if (v == null) return null;
    return typeof v === 'string' ? v : String(v);
  }

  /**
   * Writes through the fenced script: nothing is written once another run holds the job's lock.
   * The lease is renewed in the same round trip once a third of it has passed since the last
   * renewal (the timer renews it too, but a busy event loop can starve timers).
   */
  private async write(jobName: string, data: string, mode: 's' | 'a'): Promise<void> {
    const lock = this.held.get(jobName);
    const now = Date.now();
    const renew = lock !== undefined && now - lock.renewedAt >= this.leaseMs / 3;
    let r: unknown;
    try {
      const ready = this.ready();
      if (ready) await ready;
      r = await WRITE.run(this.client, [this.keys.data(jobName), this.keys.lock(jobName)], [data, lock?.record ?? '', this.leaseMs, mode, renew ? '1' : '0']);
    } catch (e) {
      throw this.fail(e, `cannot save job '${jobName}'`);
    }
    if (r !== 1) throw new JobLockedError(jobName, parseLockRecord(r));
    if (renew) lock.renewedAt = Math.max(lock.renewedAt, now);
  }

  /**
   * One atomic `SET` (fenced by the job's lock, which it also renews).
   * @param jobName - the job
   * @param data - the text
   */
  async save(jobName: string, data: string): Promise<void> {
    await this.write(jobName, data, 's');
  }

  /**
   * One `APPEND` (fenced by the job's lock, which it also renews).
   * @param jobName - the job
   * @param records - the lines to add
   */
  override async append(jobName: string, records: string): Promise<void> {
    await this.write(jobName, records, 'a');
  }

  /** @inheritDoc */
  async delete(jobName: string): Promise<void> {
    await this.cmd(`cannot delete job '${jobName}'`, 'DEL', [this.keys.data(jobName)]);
  }

  /** @inheritDoc */
  async exists(jobName: string): Promise<boolean> {
    return Number(await this.cmd(`cannot check job '${jobName}'`, 'EXISTS', [this.keys.data(jobName)])) === 1;
  }

  /**
   * Takes the job's lease (see the class description); throws `JobLockedError` naming the holder.
   * @param jobName - the job
   * @param holder - who asks
   */
  override async lock(jobName: string, holder: LockHolder): Promise<BackendLock> {
    try {
      const r = this.ready();
      if (r) await r;
      return await takeRedisLock(this.client, this.keys.lock(jobName), jobName, holder, this.leaseMs, this.held);
    } catch (e) {
      throw this.fail(e, `cannot lock job '${jobName}'`);
    }
  }

  /**
   * Job names under this backend's prefix, sorted, found with `SCAN` (on an ioredis `Cluster`, only
   * the node the client's commands go to is scanned).
   */
  override async list(): Promise<string[]> {
    const names = new Set<string>();
    let cursor = '0';
    do {
      const reply = (await this.cmd('cannot list jobs', 'SCAN', [cursor, 'MATCH', this.keys.dataPattern, 'COUNT', 1000])) as [string, string[]];
      cursor = String(reply[0]);
      for (const key of reply[1]) {
        const name = this.keys.jobOf(String(key));
        if (name !== null) names.add(name);
      }
    } while (cursor !== '0');
    return [...names].sort();
  }

  /**
   * Stops lease renewals and, for a client made by {@link RedisBackend.fromUrl}, closes it
   * (a client of yours stays open).
   */
  override async close(): Promise<void> {
    for (const h of this.held.values()) {
      clearInterval(h.timer);
      h.drop();
    }
    this.held.clear();
    const c = this.owned;
    if (!c) return;
    if (c.status === 'end') return;
    const ended = new Promise<void>((resolve) => c.once('end', () => resolve()));
    if (c.status === 'wait' || c.status === 'reconnecting') c.disconnect();
    else {
      try {
        await c.quit();
      } catch {
        c.disconnect();
      }
    }
    await withDeadline(ended, 2_000, () => new Error('not ended')).catch(() => c.disconnect());
  }
}
