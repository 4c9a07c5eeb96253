import type { RedisOptions } from 'ioredis';
import { StateBackend } from '../state-backend';
import { ServerSilence, withDeadline } from '../deadline';
import type { BackendLock, LockHolder } from '../lock';
import { parseLockRecord } from '../lock-record';
import type { RedisClientLike } from './redis-client';
import { RedisKeys } from './redis-keys';
import { DELETE, type RedisScript } from './redis-script';
import { redisWrite } from './redis-write';
import { RedisChunks, type RedisChunkIo } from './redis-chunks';
import { RedisKeyClaims } from './redis-key-claims';
import type { KeyClaims } from '../../idempotency/key-claims';
import type { SharedChunkStore } from '../shared-chunks';
import { takeRedisLock, type HeldRedisLock } from './redis-lock';
import { DEFAULT_CONNECT_TIMEOUT_MS, resolveRedisOptions, type RedisBackendOptions, type RedisUrlOptions } from './redis-options';
import { BackendError } from '../../errors/backend-error';
import { InvalidOptionsError } from '../../errors/invalid-options-error';
import { JobLockedError } from '../../errors/job-locked-error';
import { SafeStateError } from '../../errors/safe-state-error';
import type { WorkerSpec } from '../blocking/worker-spec';
import { adoptedLock, redisWorkerSpec } from '../blocking/connection-specs';

/** The ioredis client made by fromUrl. */
type OwnedClient = RedisClientLike & {
  on(event: string, fn: (e: Error) => void): unknown;
  on(event: 'ready', fn: () => void): unknown;
  once(event: string, fn: () => void): unknown;
  disconnect(): void;
  quit(): Promise<unknown>;
  readonly stream?: { destroy(): void; unref(): void; ref(): void };
};

/**
 * Keeps checkpoints in Redis (ioredis), where many workers on many hosts can share them.
 *
 * - A job's checkpoint is one string key, `<prefix>job:{<job name>}`; its lock is
 *   `<prefix>lock:{<job name>}` (job names may hold any character: `%`, braces, control characters
 *   and unpaired surrogates are percent-escaped, reversibly).
 * - `save` replaces the checkpoint with one atomic `SET`; `append` adds a small record with
 *   `APPEND`: a save per item is one round trip. Both run as one small Lua script that renews the
 *   lock's lease once a third of it has passed, and that is fenced: every lock acquisition gets the
 *   next generation of the job's counter (`<prefix>fence:{<name>}`, `INCR`, never deleted), and
 *   the generation that last wrote is kept beside the checkpoint (`<prefix>gen:{<name>}`). A write
 *   (or the final delete) of a run goes through only while the lock is still its own, or lapsed
 *   with nobody taking the job since, and the checkpoint is still the one it last wrote. A run that
 *   was stopped past its lease while another run took the job over (and maybe finished and
 *   cleared it) therefore writes nothing more: it fails with `JobLockedError` (`lost: true`, "lost
 *   its lock to another run") instead of taking the free lock back.
 * - The lock is a lease (`SET NX PX`, 30 s by default) holding the holder's pid and host, renewed
 *   while the job runs. A second run fails with `JobLockedError` naming the holder. A holder that
 *   died is taken over when its lease runs out, at once when it was a process on this host.
 * - `list` walks the keys with `SCAN` (never `KEYS`).
 *
 * A save counts when Redis acknowledges it; whether it survives a Redis crash is Redis's
 * persistence setting (`appendonly yes` with `appendfsync always` for every acknowledged write).
 * There are no synchronous hooks: a plain `for..of` waits for each save through a worker thread
 * with a client of its own (see docs/backends.md); `for await`
 * is the faster form.
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
  /** whether the server is known silent (an operation timed out and nothing answered since) */
  private silence: ServerSilence;
  /**
   * The client as the backend's operations use it: every command goes through here, which records
   * answers and timeouts, and fails at once while the server is known silent (see ServerSilence).
   */
  private readonly io: RedisClientLike;

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
    const ct = (client as { options?: { commandTimeout?: unknown } }).options?.commandTimeout;
    this.silence = new ServerSilence(typeof ct === 'number' && ct > 0 ? ct : DEFAULT_CONNECT_TIMEOUT_MS);
    this.io = {
      call: async (command, args) => {
        this.inflight++;
        this.busy();
        try {
          const ready = this.ready();
          if (ready) await ready;
          if (this.silence.silent) throw this.silence.error();
          try {
            const r = await client.call(command, args);
            this.silence.answered();
            return r;
          } catch (e) {
            const err = e as { name?: unknown; message?: unknown };
            if (err?.message === 'Command timed out') this.silence.noAnswer();
            else if (err?.name === 'ReplyError') this.silence.answered(); // an error reply is an answer
            throw e;
          }
        } finally {
          this.inflight--;
          this.settleIdle();
        }
      },
    };
  }

  /** operations in flight through `io` */
  private inflight = 0;
  /** close() was called: the client fromUrl made is not reopened */
  private closed = false;

  /** Work is under way: fromUrl's connection keeps the process alive meanwhile. */
  private busy(): void {
    this.owned?.stream?.ref();
  }

  /**
   * When no operation is in flight and no run holds a lock, fromUrl's connection must not keep the
   * process alive: its socket is unref()ed (and ref()ed again by the next operation). While the
   * server is down, ioredis' background reconnect timer would hold the process: an idle client that
   * is reconnecting is disconnected instead (the next operation connects it again, see `ready`). A
   * client of yours is left as it is.
   */
  private settleIdle(): void {
    const c = this.owned;
    if (!c || this.inflight > 0 || this.held.size > 0) return;
    if (c.status === 'ready') c.stream?.unref();
    else if (c.status === 'reconnecting' && !this.connecting) {
      c.disconnect(); // ioredis then stays 'reconnecting', without a timer: `parked` tells ready() to connect
      this.parked = true;
    }
  }

  /** fromUrl's client was disconnected while idle and reconnecting (see settleIdle) */
  private parked = false;

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
    backend.silence = new ServerSilence(timeout);
    client.on('error', (e: Error) => {
      backend.lastConnectionError = e; // reported with the failing operation (and never unhandled)
    });
    client.on('ready', () => {
      backend.lastConnectionError = null;
      backend.settleIdle(); // a connection made while idle (a background reconnect) does not hold the process
    });
    // the server went away while idle, or an operation's connect failed: no reconnect timer while idle
    client.on('reconnecting', () => backend.settleIdle());
    return backend;
  }

  /**
   * Connects a client that was created lazily and not connected yet (ours, or the user's), or ours
   * that was closed while idle (see settleIdle).
   */
  private ready(): Promise<void> | null {
    const status = this.client.status;
    const reopen = (status === 'end' || this.parked) && this.owned !== null && !this.closed;
    if ((status !== 'wait' && !reopen) || typeof this.client.connect !== 'function') return null;
    this.parked = false;
    this.connecting ??= this.client.connect().finally(() => {
      this.connecting = null;
    });
    if (!this.owned) return this.connecting;
    if (this.silence.silent) return Promise.reject(this.silence.error());
    return withDeadline(this.connecting, this.connectTimeoutMs, () => {
      this.silence.noAnswer();
      return new Error(`could not connect within ${this.connectTimeoutMs} ms`);
    });
  }

  private fail(e: unknown, what: string): Error {
    if (SafeStateError.is(e)) return e;
    const last = this.lastConnectionError;
    const detail = last && last !== e && last.message !== (e as Error)?.message ? ` (connection: ${last.message})` : '';
    return new BackendError(`Redis${this.where}: ${what}: ${e instanceof Error ? e.message : String(e)}${detail}`, { cause: e });
  }

  private async cmd(what: string, command: string, args: (string | number)[]): Promise<unknown> {
    try {
      return await this.io.call(command, args);
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
    return (this.chunks ??= new RedisChunks(this.prefix, this.sharedIo()));
  }

  /** Commands and scripts of the chunk store and the key claims, failures as `BackendError`s. */
  private sharedIo(): RedisChunkIo {
    return {
      cmd: (what, command, args) => this.cmd(what, command, args),
      script: async (what, script: RedisScript, keys, args) => {
        try {
          return await script.run(this.io, keys, args);
        } catch (e) {
          throw this.fail(e, what);
        }
      },
    };
  }

  private claims: RedisKeyClaims | null = null;

  /**
   * Per-key claims of idempotency records (`IdempotencyCache`, `@Idempotent({ key })`): any number
   * of processes share one cache at once (see docs/idempotency.md, "Several processes").
   * @internal
   */
  keyClaims(): KeyClaims {
    return (this.claims ??= new RedisKeyClaims(this.prefix, this.leaseMs, this.sharedIo()));
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
   * Writes through the fenced script (see redis-write.ts): nothing is written once another run
   * took the job over, even if that run has finished and released it since; the run then fails
   * with `JobLockedError` (`lost`). The lease is renewed in the same round trip once a third of it
   * has passed since the last renewal (the timer renews it too, but a busy event loop can starve
   * timers).
   */
  private async write(jobName: string, data: string, mode: 's' | 'a'): Promise<void> {
    const lock = this.held.get(jobName);
    const now = Date.now();
    const renew = lock !== undefined && now - lock.renewedAt >= this.leaseMs / 3;
    let r: Awaited<ReturnType<typeof redisWrite>>;
    try {
      r = await redisWrite(this.io, { keys: this.keys.of(jobName), text: data, mode, leaseMs: this.leaseMs, renew, fence: lock ?? null });
    } catch (e) {
      throw this.fail(e, `cannot save job '${jobName}'`);
    }
    if (r !== true) throw new JobLockedError(jobName, parseLockRecord(r.holder), lock !== undefined);
    if (lock) {
      lock.lastWritten = lock.gen;
      if (renew) lock.renewedAt = Math.max(lock.renewedAt, now);
    }
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

  /**
   * Deletes the checkpoint; while this backend holds the job's lock, only if no other run took the
   * job over since (else `JobLockedError`, `lost`).
   * @param jobName - the job
   */
  async delete(jobName: string): Promise<void> {
    const lock = this.held.get(jobName);
    const k = this.keys.of(jobName);
    let r: unknown;
    try {
      r = await DELETE.run(this.io, [k.data, k.lock, k.fence, k.gen], [lock?.record ?? '', lock?.gen ?? '']);
    } catch (e) {
      throw this.fail(e, `cannot delete job '${jobName}'`);
    }
    if (r !== 1) throw new JobLockedError(jobName, parseLockRecord(r), true);
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
      const lock = await takeRedisLock(this.io, this.keys.of(jobName), jobName, holder, this.leaseMs, this.held);
      this.busy(); // held: the connection keeps the process alive until the release
      return lock;
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
   * How a worker thread opens this backend on a client of its own (the client's options), with the
   * run's lock, so a plain `for..of` can wait for each save (see {@link StateBackend.workerSpec}).
   * @internal
   * @param jobName - the job whose run saves
   */
  override workerSpec(jobName: string): WorkerSpec | null {
    return redisWorkerSpec(this.client, { prefix: this.prefix, leaseMs: this.leaseMs }, this.held.get(jobName), this.connectTimeoutMs);
  }

  /**
   * The worker's side of {@link RedisBackend.workerSpec}: its saves are fenced by the run's lock.
   * @internal
   * @param jobName - the job
   * @param state - the lock's plain-data state
   */
  adoptLock(jobName: string, state: Record<string, unknown>): void {
    this.held.set(jobName, adoptedLock<HeldRedisLock>(state));
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
    this.closed = true;
    const c = this.owned;
    if (!c) return;
    if (c.status === 'end' || this.parked) return;
    c.stream?.ref(); // an idle connection was unref()ed: closing it is work the process waits for
    const ended = new Promise<void>((resolve) => c.once('end', () => resolve()));
    // a server known silent (or not connected) would only make QUIT wait: close the socket at once
    if (c.status !== 'ready' || this.silence.silent) {
      c.disconnect();
      c.stream?.destroy(); // a hung server never closes its side: do not wait for it
    } else {
      try {
        await withDeadline(c.quit(), Math.min(1_000, this.connectTimeoutMs), () => new Error('no answer to QUIT'));
      } catch {
        c.disconnect();
        c.stream?.destroy();
      }
    }
    await withDeadline(ended, 2_000, () => new Error('not ended')).catch(() => c.disconnect());
  }
}
