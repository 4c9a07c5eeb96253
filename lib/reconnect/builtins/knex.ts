import * as path from 'node:path';
import { defaultExport, loadDriver } from '../load-driver';
import { SECRET_NAME, pickSettings, tlsSettings, urlWithoutSecrets, warnDropped } from '../secret-free';
import { missingCredentials, resolveCredentials, type CredentialsRequest } from '../credentials';
import type { BuiltinReconnector } from './builtin';
import { hasMethods } from './builtin';
import { MYSQL_PASSWORD_ENV } from './mysql2-config';

const CONFIG_SETTINGS = ['useNullAsDefault', 'searchPath', 'asyncStackTraces', 'acquireConnectionTimeout', 'debug', 'version', 'compileSqlOnError'];
const POOL_SETTINGS = [
  'min', 'max', 'idleTimeoutMillis', 'acquireTimeoutMillis', 'createTimeoutMillis', 'destroyTimeoutMillis', 'reapIntervalMillis',
  'createRetryIntervalMillis', 'propagateCreateError',
];

/** Environment variables read for a knex connection password when no resolver answers, by client. @internal */
export function knexPasswordEnv(client: string): string[] {
  if (['mysql', 'mysql2'].includes(client)) return ['SAFE_STATE_KNEX_PASSWORD', ...MYSQL_PASSWORD_ENV];
  if (['pg', 'postgres', 'postgresql', 'pgnative', 'pg-native', 'cockroachdb', 'redshift'].includes(client)) return ['SAFE_STATE_KNEX_PASSWORD', 'SAFE_STATE_PG_PASSWORD', 'PGPASSWORD'];
  return ['SAFE_STATE_KNEX_PASSWORD'];
}

interface Meta {
  client: string;
  /** connection settings (object), or a URL without its password; null when it was a function */
  connection: Record<string, unknown> | string | null;
  /** the connection was given as a function: a resolver must supply `connection` */
  dynamic?: true;
  config: Record<string, unknown>;
  pool?: Record<string, unknown>;
  secrets?: string[];
  ssl?: unknown;
  tls?: string[];
  functions?: string[];
}

type KnexLike = ((...a: unknown[]) => unknown) & {
  client: { config: Record<string, unknown>; acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
  isTransaction?: boolean;
  destroy(): Promise<void>;
};

function describeConnection(conn: unknown, meta: Meta): void {
  if (typeof conn === 'string') {
    const { url, secrets } = urlWithoutSecrets(conn);
    meta.connection = url;
    if (secrets.length) meta.secrets = secrets;
    return;
  }
  if (typeof conn === 'function') {
    meta.connection = null;
    meta.dynamic = true;
    return;
  }
  if (!conn || typeof conn !== 'object') {
    meta.connection = {};
    return;
  }
  const c = conn as Record<string, unknown>;
  const allowed = Object.getOwnPropertyNames(c).filter((k) => k !== 'ssl' && !SECRET_NAME.test(k));
  const picked = pickSettings(c, allowed, ['password']);
  if (typeof picked.settings.filename === 'string' && picked.settings.filename !== ':memory:' && !picked.settings.filename.startsWith('file:')) {
    picked.settings.filename = path.resolve(picked.settings.filename);
  }
  if (typeof picked.settings.connectionString === 'string') picked.settings.connectionString = urlWithoutSecrets(picked.settings.connectionString).url;
  meta.connection = picked.settings;
  const secrets = [...picked.secrets];
  if (typeof c.connectionString === 'string') secrets.push(...urlWithoutSecrets(c.connectionString).secrets);
  if (secrets.length) meta.secrets = [...new Set(secrets)];
  if (picked.functions.length) meta.functions = picked.functions;
  const ssl = tlsSettings(c.ssl);
  if (ssl.saved !== undefined) meta.ssl = ssl.saved;
  if (ssl.material.length) meta.tls = ssl.material;
}

/**
 * A knex instance (not a transaction): saved as its client name, connection settings without
 * password (a connection URL loses its password), pool sizes and plain config; rebuilt with
 * `knex(config)`, acquiring and releasing one connection so that bad credentials fail the resume.
 * A connection given as a function cannot be saved: a resolver must return `{ connection }`.
 * Credentials a resolver returns are merged into `connection`.
 * @internal
 */
export const knexInstance: BuiltinReconnector = {
  name: 'knex',
  describes: 'knex instance',
  matches: (v) =>
    typeof v === 'function' && hasMethods(v, 'raw', 'transaction', 'destroy') && hasMethods((v as { client?: unknown }).client, 'acquireConnection', 'releaseConnection') &&
    typeof (v as { client?: { config?: unknown } }).client?.config === 'object',
  extract(k: KnexLike): Meta {
    if (k.isTransaction) throw new Error('a knex transaction cannot be reconnected: keep the knex instance in state and start a new transaction on resume');
    const config = k.client.config;
    if (typeof config.client !== 'string') throw new Error('a knex instance made with a client class (not a client name) cannot be reconnected: register your own reconnector');
    const meta: Meta = { client: config.client, connection: null, config: pickSettings(config, CONFIG_SETTINGS).settings };
    describeConnection(config.connection, meta);
    if (config.pool && typeof config.pool === 'object') {
      const pool = pickSettings(config.pool, POOL_SETTINGS);
      meta.pool = pool.settings;
      if (pool.functions.length) meta.functions = [...(meta.functions ?? []), ...pool.functions.map((f) => `pool.${f}`)];
    }
    return meta;
  },
  async reconnect(meta: Meta) {
    const conn = typeof meta.connection === 'object' && meta.connection !== null ? meta.connection : {};
    const envNames = knexPasswordEnv(meta.client);
    const missing = [...(meta.secrets ?? []), ...(meta.tls ?? []).map((k) => `ssl.${k}`), ...(meta.dynamic ? ['connection'] : [])];
    const request: CredentialsRequest = {
      reconnector: 'knex', driver: 'knex', host: conn.host as string | undefined, port: conn.port === undefined ? undefined : Number(conn.port),
      user: (conn.user ?? conn.username) as string | undefined, database: (conn.database ?? conn.filename) as string | undefined,
      settings: { client: meta.client, connection: meta.connection, ...meta.config }, missing,
    };
    const creds = await resolveCredentials(request, meta.secrets?.length ? { names: envNames } : undefined);
    if (missing.length && !creds) throw missingCredentials(request, meta.secrets?.length ? envNames : []);
    if (meta.functions) warnDropped('knex', meta.functions, creds);
    let connection: unknown;
    if (meta.dynamic) {
      if (!creds || creds.connection === undefined) throw missingCredentials(request, []);
      connection = creds.connection;
    } else if (typeof meta.connection === 'string') {
      connection = withUrlCredentials(meta.connection, creds);
    } else {
      const c: Record<string, unknown> = { ...conn, ...creds };
      if (meta.ssl !== undefined || creds?.ssl !== undefined) {
        const extra = creds?.ssl;
        c.ssl = typeof meta.ssl === 'object' && meta.ssl !== null && (extra === undefined || typeof extra === 'object') ? { ...meta.ssl, ...(extra as object | undefined) } : (extra ?? meta.ssl);
      }
      connection = c;
    }
    const knex = defaultExport<(config: object) => KnexLike>(loadDriver('knex'));
    const k = knex({ ...meta.config, client: meta.client, connection, ...(meta.pool ? { pool: meta.pool } : {}) });
    try {
      const c = await k.client.acquireConnection();
      await k.client.releaseConnection(c);
    } catch (e) {
      await k.destroy().catch(() => undefined);
      throw e;
    }
    return k;
  },
  dispose: (k: KnexLike) => k.destroy(),
};

/** A connection URL with the password (and user) a resolver supplied. */
function withUrlCredentials(url: string, creds: Record<string, unknown> | null): unknown {
  if (!creds) return url;
  if (creds.connection !== undefined) return creds.connection;
  const u = new URL(url);
  if (typeof creds.user === 'string') u.username = encodeURIComponent(creds.user);
  if (typeof creds.password === 'string') u.password = encodeURIComponent(creds.password);
  return u.toString();
}
