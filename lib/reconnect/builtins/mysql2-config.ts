import { pickSettings, tlsSettings, warnDropped } from '../secret-free';
import { missingCredentials, resolveCredentials, type CredentialsRequest } from '../credentials';
import { ctorName, hasMethods } from './builtin';

/** mysql2 ConnectionConfig settings that are saved (plain values only). */
const CONNECTION_SETTINGS = [
  'host', 'port', 'localAddress', 'socketPath', 'user', 'database', 'connectTimeout', 'insecureAuth', 'supportBigNumbers',
  'bigNumberStrings', 'decimalNumbers', 'dateStrings', 'trace', 'stringifyObjects', 'enableKeepAlive', 'keepAliveInitialDelay',
  'timezone', 'multipleStatements', 'rowsAsArray', 'namedPlaceholders', 'nestTables', 'typeCast', 'disableEval', 'charsetNumber',
  'compress', 'maxPreparedStatements', 'jsonStrings', 'gracefulEnd', 'enableCleartextPlugin', 'debug',
];
const SECRETS = ['password', 'password1', 'password2', 'password3', 'passwordSha1'];
const POOL_SETTINGS = ['waitForConnections', 'connectionLimit', 'maxIdle', 'idleTimeout', 'queueLimit', 'resetOnRelease'];

/** Environment variables read for a mysql2 password when no resolver answers. @internal */
export const MYSQL_PASSWORD_ENV = ['SAFE_STATE_MYSQL_PASSWORD', 'MYSQL_PWD'];

/** The secret-free description of a mysql2 connection's settings. @internal */
export interface MysqlMeta {
  settings: Record<string, unknown>;
  /** secret settings the connection had (names only) */
  secrets?: string[];
  /** the secret-free part of `ssl` */
  ssl?: unknown;
  /** TLS material `ssl` had (names only) */
  tls?: string[];
  /** function-valued settings (names only) */
  functions?: string[];
  /** pool settings, for pools */
  pool?: Record<string, unknown>;
}

/** Whether `v` is a mysql2 callback-API `Connection` (not a pool's connection). @internal */
export function isMysqlConnection(v: unknown): boolean {
  return ctorName(v) === 'Connection' && hasMethods(v, 'query', 'execute', 'ping', 'end', 'destroy') && ctorName((v as { config?: unknown }).config) === 'ConnectionConfig';
}

/** Whether `v` is a mysql2 callback-API `Pool`. @internal */
export function isMysqlPool(v: unknown): boolean {
  const config = (v as { config?: { connectionConfig?: unknown } } | null)?.config;
  return ctorName(v) === 'Pool' && hasMethods(v, 'getConnection', 'query', 'end') && ctorName(config) === 'PoolConfig' && ctorName(config?.connectionConfig) === 'ConnectionConfig';
}

/** Describes a mysql2 ConnectionConfig without secrets. @internal */
export function describeConnectionConfig(config: object): MysqlMeta {
  const picked = pickSettings(config, CONNECTION_SETTINGS, SECRETS);
  const meta: MysqlMeta = { settings: picked.settings };
  if (picked.secrets.length) meta.secrets = picked.secrets;
  if (picked.functions.length) meta.functions = picked.functions;
  const ssl = tlsSettings((config as { ssl?: unknown }).ssl);
  if (ssl.saved !== undefined) meta.ssl = ssl.saved;
  if (ssl.material.length) meta.tls = ssl.material;
  return meta;
}

/** Describes a mysql2 PoolConfig without secrets. @internal */
export function describePoolConfig(config: { connectionConfig: object }): MysqlMeta {
  const meta = describeConnectionConfig(config.connectionConfig);
  meta.pool = pickSettings(config, POOL_SETTINGS).settings;
  return meta;
}

/**
 * The options to reconnect with: saved settings, plus what a credentials resolver (or the
 * environment) supplies. Fails when the saved connection had secrets and nobody supplies them.
 * @internal
 */
export async function connectOptions(reconnector: string, meta: MysqlMeta): Promise<Record<string, unknown>> {
  const s = meta.settings;
  const missing = [...(meta.secrets ?? []), ...(meta.tls ?? []).map((k) => `ssl.${k}`)];
  const request: CredentialsRequest = {
    reconnector, driver: 'mysql2', host: s.host as string | undefined, port: s.port as number | undefined, user: s.user as string | undefined,
    database: s.database as string | undefined, settings: { ...s, ...(meta.pool ?? {}) }, missing,
  };
  const creds = await resolveCredentials(request, meta.secrets?.length ? { names: MYSQL_PASSWORD_ENV } : undefined);
  if (missing.length && !creds) throw missingCredentials(request, meta.secrets?.length ? MYSQL_PASSWORD_ENV : []);
  if (meta.functions) warnDropped(reconnector, meta.functions, creds);
  const options: Record<string, unknown> = { ...s, ...(meta.pool ?? {}), ...creds };
  if (meta.ssl !== undefined || creds?.ssl !== undefined) {
    const extra = creds?.ssl;
    options.ssl = typeof meta.ssl === 'object' && meta.ssl !== null && (extra === undefined || (typeof extra === 'object' && extra !== null)) ? { ...meta.ssl, ...(extra as object | undefined) } : (extra ?? meta.ssl);
  }
  return options;
}
