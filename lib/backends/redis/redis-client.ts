/**
 * The part of an ioredis client that {@link RedisBackend} uses, described structurally so that
 * safe-state never imports ioredis itself (it is an optional peer dependency, loaded only by
 * `RedisBackend.fromUrl`). An ioredis `Redis` (v5 or v6) instance satisfies it, and so does an
 * ioredis `Cluster` (see the docs for what listing can see on a cluster).
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * const client: RedisClientLike = new Redis(process.env.REDIS_URL!);
 * const backend = new RedisBackend(client, { prefix: 'myapp:' });
 * ```
 */
export interface RedisClientLike {
  /**
   * Sends one command (`client.call('SET', ['k', 'v'])`) and resolves with its reply.
   * @param command - the command name
   * @param args - its arguments
   */
  call(command: string, args: (string | number)[]): Promise<unknown>;
  /** Connection state as ioredis reports it (`'wait'`, `'connecting'`, `'ready'`, `'end'`, …). */
  readonly status?: string;
  /** Connects a client created with `lazyConnect` (ioredis). */
  connect?(): Promise<void>;
  /** Closes the connection after pending replies (ioredis). */
  quit?(): Promise<unknown>;
  /** Closes the connection at once (ioredis). */
  disconnect?(): void;
}
