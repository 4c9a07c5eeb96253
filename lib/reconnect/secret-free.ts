/**
 * Helpers the built-in reconnectors use to save connection settings without secrets: settings are
 * copied from an allow-list and only when they are plain values; anything whose name looks secret is
 * left out whatever the list says; functions are noted by name so a resolver can supply them.
 * @internal
 */

/** Names that hold secrets (password, passphrase, token, secret, key material, auth data…). @internal */
export const SECRET_NAME = /pass|pwd|secret|token|credential|auth|^key$|privatekey|^pfx$|apikey|cookie|session/i;

/** TLS settings that are secrets or file material, supplied by a credentials resolver. @internal */
export const TLS_MATERIAL = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'crl', 'dhparam', 'secureContext'];

/** A setting worth saving: a primitive, or an array of primitives. */
function plain(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return true;
  return Array.isArray(v) && v.length <= 1000 && v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x));
}

/** What {@link pickSettings} kept, and what it left out. @internal */
export interface Picked {
  settings: Record<string, unknown>;
  /** secret settings that were set (names only) */
  secrets: string[];
  /** function-valued settings that were set (names only) */
  functions: string[];
}

/**
 * Copies `allowed` settings of `source` that are plain values and not secrets. A setting is a
 * secret when it is listed in `secretNames` or its name looks secret ({@link SECRET_NAME}), and
 * its value is text, bytes or an object (a boolean such as `insecureAuth: false` is kept). Own
 * non-enumerable properties are seen too (knex hides `password` that way). Function-valued
 * settings (other than the driver's `defaults`) are reported by name.
 * @internal
 */
export function pickSettings(
  source: object | null | undefined,
  allowed: readonly string[],
  secretNames: readonly string[] = [],
  defaults: Readonly<Record<string, unknown>> = {},
): Picked {
  const out: Picked = { settings: {}, secrets: [], functions: [] };
  if (!source || typeof source !== 'object') return out;
  const s = source as Record<string, unknown>;
  const names = [...new Set([...allowed, ...secretNames, ...Object.getOwnPropertyNames(s)])];
  for (const name of names) {
    const v = s[name];
    if (v === undefined || v === null) continue;
    if (typeof v === 'function' || (typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && Object.values(v).some((x) => typeof x === 'function'))) {
      if (defaults[name] !== v && !name.startsWith('_')) out.functions.push(name);
      continue;
    }
    if (secretNames.includes(name) || SECRET_NAME.test(name)) {
      if (isSecretValue(v)) {
        out.secrets.push(name);
        continue;
      }
    }
    if (allowed.includes(name) && plain(v)) out.settings[name] = v;
  }
  return out;
}

function isSecretValue(v: unknown): boolean {
  if (typeof v === 'string') return v !== '';
  return typeof v === 'object' && v !== null;
}

/**
 * The secret-free part of a TLS/SSL setting: `true` stays `true`, a profile name stays, an object
 * keeps its plain non-secret settings and reports which TLS material it had.
 * @internal
 */
export function tlsSettings(tls: unknown): { saved: unknown; material: string[] } {
  if (tls === undefined || tls === null || tls === false) return { saved: undefined, material: [] };
  if (typeof tls !== 'object') return { saved: tls, material: [] };
  const t = tls as Record<string, unknown>;
  const material = TLS_MATERIAL.filter((k) => t[k] !== undefined && t[k] !== null);
  const saved: Record<string, unknown> = {};
  for (const k of Object.keys(t)) {
    if (TLS_MATERIAL.includes(k) || SECRET_NAME.test(k)) continue;
    if (plain(t[k])) saved[k] = t[k];
  }
  return { saved, material };
}

/**
 * A connection URL without its password (`mysql://u:pw@h/db` → `mysql://u@h/db`), and whether it
 * had one. Query parameters that look secret are removed too.
 * @internal
 */
export function urlWithoutSecrets(url: string): { url: string; secrets: string[] } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // not a URL (e.g. a libpq key=value string): keep nothing that could hold a password
    if (SECRET_NAME.test(url)) throw new Error('the connection string is not a URL and may hold a password; pass the connection as an object');
    return { url, secrets: [] };
  }
  const secrets: string[] = [];
  if (u.password) {
    u.password = '';
    secrets.push('password');
  }
  for (const k of [...u.searchParams.keys()]) {
    if (SECRET_NAME.test(k)) {
      u.searchParams.delete(k);
      secrets.push(k);
    }
  }
  return { url: u.toString(), secrets };
}

/** Warns once per process about saved options that were functions and that no resolver supplied. @internal */
export function warnDropped(reconnector: string, names: readonly string[], supplied: Record<string, unknown> | null): void {
  const missing = names.filter((n) => !supplied || !(n in supplied));
  if (missing.length === 0) return;
  process.emitWarning(
    `${reconnector}: the options ${missing.join(', ')} were functions, which cannot be saved in a checkpoint; the rebuilt object uses the driver's defaults. Return them from a credentials resolver (registerCredentials) to keep them.`,
    { code: 'SAFE_STATE_RECONNECT_OPTION_DROPPED' },
  );
}
