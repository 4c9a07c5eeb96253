/**
 * How one kind of live object (a database connection, a socket, a file stream…) is saved in a
 * checkpoint and rebuilt when a job resumes. Pass it to {@link registerReconnector}.
 *
 * `extract` runs when state is saved and must return plain data (JSON-like values, Date, Map, Set…)
 * that describes how to open an equivalent object again, without secrets; `reconnect` runs when a
 * run resumes and returns the fresh object (or a promise of it). Saved checkpoints store
 * `{ reconnector: name, meta }`; loading one never runs anything but the `reconnect` of a
 * reconnector registered under that name in the loading process.
 *
 * @typeParam T - the live object's type
 * @typeParam M - the saved description's type
 * @example
 * ```ts
 * registerReconnector(SftpClient, {
 *   name: 'acme.SftpClient',
 *   extract: (c) => ({ host: c.host, user: c.user }),
 *   reconnect: async (m) => SftpClient.connect({ ...m, password: process.env.SFTP_PASSWORD }),
 *   dispose: (c) => c.end(),
 * });
 * ```
 */
export interface ReconnectorOptions<T = any, M = any> {
  /**
   * The stable name stored in checkpoints. Default: the class's `name`. Give one explicitly when
   * the code is minified or two classes share a name: a checkpoint names its reconnector, so
   * renaming one orphans the live objects of existing checkpoints.
   */
  name?: string;
  /**
   * Which values this reconnector handles. Default: `value instanceof Type`. A custom `matches` is
   * consulted for every object in saved state, so keep it cheap.
   */
  matches?: (value: unknown) => boolean;
  /**
   * Describes a live object as plain data, synchronously. Never return secrets: they would be
   * written into the checkpoint (see {@link registerCredentials} for the pattern the built-ins use).
   * Throwing makes saving fail with `UnserializableStateError` naming the property path.
   */
  extract(obj: T): M;
  /**
   * Rebuilds a live object from its description, sync or async. A throw or rejection fails the
   * resume with `ReconnectError` naming the reconnector and the property path, with the error as `cause`.
   */
  reconnect(meta: M): T | Promise<T>;
  /**
   * Optional: releases an object this reconnector rebuilt, when another object of the same saved
   * value failed to reconnect (so a failed resume leaks no connection).
   */
  dispose?(obj: T): void | Promise<void>;
}

/**
 * A registered reconnector as {@link listReconnectors} reports it.
 *
 * @example
 * ```ts
 * for (const r of listReconnectors()) console.log(r.name, r.builtin ? '(built in)' : r.origin);
 * ```
 */
export interface ReconnectorInfo {
  /** The stable name stored in checkpoints. */
  readonly name: string;
  /** Whether safe-state registered it (a built-in). */
  readonly builtin: boolean;
  /** What was registered and where (class name, file and line), for messages. */
  readonly origin: string;
}
