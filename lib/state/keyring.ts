import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { InvalidOptionsError } from '../errors/invalid-options-error';

/**
 * Name of the environment variable holding the secret(s) when the `secret` option is not given:
 * `SAFE_STATE_SECRET`, several secrets separated by commas (the first signs, all verify).
 *
 * @example
 * ```ts
 * process.env[SECRET_ENV] = `${newKey},${oldKey}`; // usually set outside the process
 * ```
 */
export const SECRET_ENV = 'SAFE_STATE_SECRET';

/** Shortest secret accepted (characters). @internal */
export const MIN_SECRET_LENGTH = 16;

/** The keys derived from one secret. @internal */
export interface DerivedKey {
  /** 8 hex digits naming the key in sealed text (derived from the key, reveals nothing of it) */
  kid: string;
  /** HMAC-SHA256 key */
  mac: KeyObject;
  /** AES-256-GCM key */
  enc: KeyObject;
}

/** The secrets of a job: the first signs (and encrypts), all verify. @internal */
export interface Keyring {
  keys: DerivedKey[];
  encrypt: boolean;
}

const derived = new Map<string, DerivedKey>();

/**
 * Derives independent MAC and encryption keys from a secret with HKDF-SHA256, so one secret never
 * serves two algorithms. Cached per process.
 * @internal
 */
export function deriveKey(secret: string): DerivedKey {
  let k = derived.get(secret);
  if (!k) {
    const ikm = Buffer.from(secret, 'utf8');
    const mac = Buffer.from(hkdfSync('sha256', ikm, 'safe-state', 'safe-state checkpoint mac v1', 32));
    const enc = Buffer.from(hkdfSync('sha256', ikm, 'safe-state', 'safe-state checkpoint enc v1', 32));
    const kid = createHmac('sha256', mac).update('safe-state key id').digest('hex').slice(0, 8);
    k = { kid, mac: createSecretKey(mac), enc: createSecretKey(enc) };
    derived.set(secret, k);
  }
  return k;
}

function secretList(option: unknown): string[] | null {
  if (option !== undefined) return Array.isArray(option) ? (option as string[]) : [option as string];
  const env = process.env[SECRET_ENV];
  if (env === undefined || env.trim() === '') return null;
  const list = env.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const short = list.find((s) => s.length < MIN_SECRET_LENGTH);
  if (short !== undefined) {
    throw new InvalidOptionsError('secret', `secret: ${SECRET_ENV} must hold secrets of at least ${MIN_SECRET_LENGTH} characters, separated by commas (one is ${short.length} long)`);
  }
  return list;
}

/**
 * The keyring of a job's options: the `secret` option, else the `SAFE_STATE_SECRET` environment
 * variable (read at each run; several secrets separated by commas, the first signs), else `null`
 * (checkpoints are neither signed nor encrypted). `encrypt: true` without any secret fails with
 * {@link InvalidOptionsError}.
 * @internal
 */
export function keyringFor(options: { secret?: string | string[]; encrypt?: boolean }): Keyring | null {
  const list = secretList(options.secret);
  if (!list) {
    if (options.encrypt) throw new InvalidOptionsError('encrypt', `encrypt: encryption needs a secret (the 'secret' option or the ${SECRET_ENV} environment variable)`);
    return null;
  }
  return { keys: list.map(deriveKey), encrypt: options.encrypt === true };
}
