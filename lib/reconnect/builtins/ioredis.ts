import { defaultExport, loadDriver } from '../load-driver';
import { pickSettings, tlsSettings, warnDropped } from '../secret-free';
import { missingCredentials, resolveCredentials, type CredentialsRequest } from '../credentials';
import type { BuiltinReconnector } from './builtin';
import { hasMethods } from './builtin';

const SETTINGS = [
  'host', 'port', 'path', 'family', 'db', 'username', 'connectionName', 'keyPrefix', 'name', 'role', 'enableTLSForSentinelMode',
  'connectTimeout', 'commandTimeout', 'disconnectTimeout', 'keepAlive', 'noDelay', 'enableOfflineQueue', 'enableReadyCheck',
  'autoResubscribe', 'autoResendUnfulfilledCommands', 'readOnly', 'stringNumbers', 'maxRetriesPerRequest', 'maxLoadingRetryTime',
  'enableAutoPipelining', 'autoPipeliningIgnoredCommands', 'protocol', 'disableClientInfo', 'clientInfoTag', 'blockingTimeoutGrace',
  'sentinelMaxConnections', 'updateSentinels', 'lazyConnect',
];
const SECRETS = ['password', 'sentinelPassword'];

/** Environment variables read for a Redis password when no resolver answers. @internal */
export const REDIS_PASSWORD_ENV = ['SAFE_STATE_REDIS_PASSWORD', 'REDISCLI_AUTH'];

interface Meta {
  options: Record<string, unknown>;
  sentinels?: { host?: string; port?: number }[];
  secrets?: string[];
  tls?: unknown;
  tlsMaterial?: string[];
  functions?: string[];
}

interface RedisLike {
  options: Record<string, unknown>;
  isCluster?: boolean;
  connect(): Promise<void>;
  disconnect(): void;
  on(event: string, fn: (...a: unknown[]) => void): unknown;
  removeListener(event: string, fn: (...a: unknown[]) => void): unknown;
}

/**
 * ioredis' default options, to tell the user's function-valued options from the defaults. The
 * object being saved is an ioredis client, so the package is loaded already.
 */
function defaults(): Record<string, unknown> {
  try {
    return defaultExport<{ defaultOptions?: Record<string, unknown> }>(loadDriver('ioredis')).defaultOptions ?? {};
  } catch {
    return {};
  }
}

/**
 * ioredis `Redis` client (standalone or Sentinel; Cluster clients are not handled): saved as its
 * options without `password`, `sentinelPassword` or TLS material; rebuilt with `new Redis(options)`
 * and connected before the job body runs. Function-valued options (`retryStrategy`…) other than
 * ioredis' defaults cannot be saved: a resolver can return them.
 * @internal
 */
export const ioredisClient: BuiltinReconnector = {
  name: 'ioredis.Redis',
  describes: 'ioredis Redis client',
  matches: (v) =>
    hasMethods(v, 'duplicate', 'sendCommand', 'connect', 'disconnect') && typeof (v as { status?: unknown }).status === 'string' &&
    typeof (v as { options?: unknown }).options === 'object' && typeof (v as { isCluster?: unknown }).isCluster === 'boolean',
  extract(client: RedisLike): Meta {
    if (client.isCluster) throw new Error('ioredis Cluster clients are not handled by the built-in reconnector: register one (registerReconnector) that rebuilds your cluster');
    const o = client.options;
    const picked = pickSettings(o, SETTINGS, SECRETS, defaults());
    const meta: Meta = { options: picked.settings };
    if (Array.isArray(o.sentinels)) {
      meta.sentinels = (o.sentinels as { host?: unknown; port?: unknown }[]).map((s) => ({
        ...(typeof s.host === 'string' ? { host: s.host } : {}),
        ...(typeof s.port === 'number' ? { port: s.port } : {}),
      }));
    }
    if (picked.secrets.length) meta.secrets = picked.secrets;
    const fns = picked.functions.filter((n) => n !== 'Connector');
    if (fns.length) meta.functions = fns;
    const tls = tlsSettings(o.tls);
    if (tls.saved !== undefined) meta.tls = tls.saved;
    if (tls.material.length) meta.tlsMaterial = tls.material;
    return meta;
  },
  async reconnect(meta: Meta) {
    const o = meta.options;
    const missing = [...(meta.secrets ?? []), ...(meta.tlsMaterial ?? []).map((k) => `tls.${k}`)];
    const request: CredentialsRequest = {
      reconnector: 'ioredis.Redis', driver: 'ioredis', host: o.host as string | undefined, port: o.port as number | undefined,
      user: o.username as string | undefined, database: o.db === undefined ? undefined : String(o.db), settings: o, missing,
    };
    const creds = await resolveCredentials(request, meta.secrets?.includes('password') ? { names: REDIS_PASSWORD_ENV } : undefined);
    if (missing.length && !creds) throw missingCredentials(request, meta.secrets?.includes('password') ? REDIS_PASSWORD_ENV : []);
    if (meta.functions) warnDropped('ioredis.Redis', meta.functions, creds);
    const options: Record<string, unknown> = { ...o, ...creds, lazyConnect: true };
    if (meta.sentinels) options.sentinels = creds?.sentinels ?? meta.sentinels;
    if (meta.tls !== undefined || creds?.tls !== undefined) {
      const extra = creds?.tls;
      options.tls = typeof meta.tls === 'object' && meta.tls !== null && (extra === undefined || typeof extra === 'object') ? { ...meta.tls, ...(extra as object | undefined) } : (extra ?? meta.tls);
    }
    const Redis = defaultExport<new (o: object) => RedisLike>(loadDriver('ioredis'));
    const client = new Redis(options);
    // connect() rejects with a bare "Connection is closed"; the cause comes as an 'error' event
    let cause: unknown;
    const onError = (e: unknown) => {
      cause ??= e;
    };
    client.on('error', onError);
    try {
      await client.connect();
    } catch (e) {
      client.disconnect();
      throw cause ?? e;
    } finally {
      client.removeListener('error', onError);
    }
    return client;
  },
  dispose: (c: RedisLike) => c.disconnect(),
};
