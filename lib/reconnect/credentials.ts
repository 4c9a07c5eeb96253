import { globalRegistry } from '../util/global-registry';
import { InvalidOptionsError } from '../errors/invalid-options-error';

/**
 * What a reconnector asks a credentials resolver for: enough to tell which server and account it
 * is about, never a secret (those are exactly what it asks for).
 *
 * @example
 * ```ts
 * registerCredentials('mysql2', (req: CredentialsRequest) =>
 *   req.missing.includes('password') ? { password: vault.get(`${req.host}/${req.user}`) } : null);
 * ```
 */
export interface CredentialsRequest {
  /** The reconnector asking, e.g. `'mysql2.Connection'`, `'ioredis.Redis'`, `'knex'`, `'https.Agent'`. */
  readonly reconnector: string;
  /** The driver package or module: `'mysql2'`, `'ioredis'`, `'knex'`, `'https'`, … */
  readonly driver: string;
  /** Server host, when there is one. */
  readonly host?: string;
  /** Server port, when there is one. */
  readonly port?: number;
  /** Account name, when there is one. */
  readonly user?: string;
  /** Database (or Redis db number as a string), when there is one. */
  readonly database?: string;
  /** The saved, secret-free settings the object is being rebuilt from. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Names of the secret settings the saved object had (e.g. `['password']`) and that were not saved. */
  readonly missing: readonly string[];
}

/**
 * Settings to merge into the options a built-in reconnector connects with: `{ password }` for
 * mysql2, ioredis and knex, TLS material (`ca`, `cert`, `key`, `passphrase`…), or options that
 * cannot be saved at all, such as functions (mysql2 `typeCast`, ioredis `retryStrategy`).
 *
 * @example
 * ```ts
 * const creds: Credentials = { password: process.env.DB_PW, typeCast: myTypeCast };
 * ```
 */
export type Credentials = Record<string, unknown>;

/**
 * Answers {@link Credentials} for a request, or `null`/`undefined` to let the next resolver (then
 * the environment) answer. May be async.
 *
 * @example
 * ```ts
 * const fromVault: CredentialsResolver = async ({ host, user }) => ({ password: await vault.read(`db/${host}/${user}`) });
 * registerCredentials('mysql2', fromVault);
 * ```
 */
export type CredentialsResolver = (request: CredentialsRequest) => Credentials | null | undefined | Promise<Credentials | null | undefined>;

/**
 * Which requests a resolver serves: a reconnector or driver name (`'mysql2'` serves every mysql2
 * reconnector, `'mysql2.Pool'` only pools, `'*'` everything), a RegExp tested against the
 * reconnector name, or a predicate.
 *
 * @example
 * ```ts
 * const reporting: CredentialsMatcher = (req) => req.driver === 'mysql2' && req.database === 'reporting';
 * registerCredentials(reporting, () => ({ password: process.env.REPORTING_PW }));
 * ```
 */
export type CredentialsMatcher = string | RegExp | ((request: CredentialsRequest) => boolean);

interface ResolverEntry {
  v: 1;
  matches: (request: CredentialsRequest) => boolean;
  resolve: CredentialsResolver;
}

function resolvers(): ResolverEntry[] {
  return globalRegistry().credentials as ResolverEntry[];
}

/**
 * Registers where reconnecting built-ins get the secrets that safe-state never writes into a
 * checkpoint (passwords, tokens, TLS keys) and options that cannot be saved (functions). The
 * resolver runs when a job resumes, once per live object being rebuilt; what it returns is merged
 * into the options the object is reconnected with. Resolvers are asked latest first; the first
 * that answers wins; when none answers, the environment variables of each built-in are read (see
 * docs/reconnectors.md). Custom reconnectors can use the same registry through {@link resolveCredentials}.
 *
 * @param match - which requests it serves (see {@link CredentialsMatcher})
 * @param resolver - answers the credentials (sync or async)
 * @returns a function that unregisters the resolver
 * @example
 * ```ts
 * registerCredentials('mysql2', ({ host, user }) => ({ password: vault.get(`mysql/${host}/${user}`) }));
 * registerCredentials('ioredis', async () => ({ password: await secrets.redisPassword() }));
 * registerCredentials('https.Agent', () => ({ key: fs.readFileSync('client.key'), cert: fs.readFileSync('client.crt') }));
 * ```
 */
export function registerCredentials(match: CredentialsMatcher, resolver: CredentialsResolver): () => void {
  if (typeof resolver !== 'function') throw new InvalidOptionsError('resolver', 'registerCredentials(match, resolver): resolver must be a function');
  let matches: (r: CredentialsRequest) => boolean;
  if (typeof match === 'string') {
    if (match === '') throw new InvalidOptionsError('match', 'registerCredentials: match must not be empty');
    matches = (r) => match === '*' || r.reconnector === match || r.driver === match;
  } else if (match instanceof RegExp) {
    matches = (r) => {
      match.lastIndex = 0;
      return match.test(r.reconnector);
    };
  } else if (typeof match === 'function') matches = match;
  else throw new InvalidOptionsError('match', 'registerCredentials: match must be a name, a RegExp or a predicate');
  const entry: ResolverEntry = { v: 1, matches, resolve: resolver };
  resolvers().push(entry);
  return () => {
    const list = resolvers();
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
  };
}

/**
 * Asks the registered credentials resolvers (latest first) for a request; the first non-empty
 * answer wins. Then, when no resolver answered, the first set environment variable among `env`
 * gives `{ [envKey]: value }` (default key `password`). `null` when nothing answered.
 * For custom reconnectors that follow the built-ins' pattern.
 *
 * @param request - who asks and for what
 * @param env - environment fallbacks: variable names tried in order, and the setting they fill
 * @example
 * ```ts
 * const creds = await resolveCredentials(
 *   { reconnector: 'acme.Client', driver: 'acme', host: meta.host, user: meta.user, settings: meta, missing: ['token'] },
 *   { names: ['ACME_TOKEN'], key: 'token' },
 * );
 * ```
 */
export async function resolveCredentials(request: CredentialsRequest, env?: { names: readonly string[]; key?: string }): Promise<Credentials | null> {
  for (const r of [...resolvers()].reverse()) {
    if (!r.matches(request)) continue;
    const answer = await r.resolve(request);
    if (answer !== null && answer !== undefined) {
      if (typeof answer !== 'object') throw new TypeError(`a credentials resolver answered ${typeof answer} for ${request.reconnector}; answer an object of settings, or null`);
      return answer;
    }
  }
  if (env) {
    for (const name of env.names) {
      const v = process.env[name];
      if (v !== undefined && v !== '') return { [env.key ?? 'password']: v };
    }
  }
  return null;
}

/**
 * The error a built-in throws when the saved object had secrets that nobody supplied.
 * @internal
 */
export function missingCredentials(request: CredentialsRequest, envNames: readonly string[]): Error {
  const env = envNames.length ? ` or set ${envNames.join(' / ')}` : '';
  return new Error(
    `the saved ${request.reconnector} had ${request.missing.join(', ')}, which safe-state does not store in checkpoints: ` +
      `register a resolver (registerCredentials('${request.driver}', …))${env}`,
  );
}
