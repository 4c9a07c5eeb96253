/*
 * Which field names mark a secret. The rule (docs/security.md#what-a-failed-run-stores-frozen-state repeats
 * it, and spec/engine/frozen-state.spec.ts tests every example):
 *
 * 1. The name is split into word parts: at every character that is not a letter or a digit
 *    (`_`, `-`, `.`, spaces, `$`), between a letter and a digit, between a lower-case letter or
 *    digit and an upper-case letter (`apiKey` → api, key), and before the last capital of a run
 *    of capitals followed by a lower-case letter (`APIKey` → api, key). Parts are compared in
 *    lower case.
 * 2. The name marks a secret when a part
 *    a. is, or ends with, one of SECRET_WORDS, optionally followed by `s` (`password`,
 *       `dbpassword`, `tokens`, `oauth`, `clientsecret`, `setcookie`);
 *    b. is `key` or `keys` right after a part that is one of KEY_QUALIFIERS (`apiKey`,
 *       `x-api-key`, `private_key`), or is such a qualifier joined to `key`/`keys`
 *       (`apikey`, `privatekeys`);
 *    c. is `id` right after a part `session`, or is `sessionid`.
 *
 * So `keys`, `key`, `monkey`, `primaryKey`, `cacheKey`, `s3Key`, `author`, `authority`,
 * `authorId`, `tokenizer`, `secretary`, `passport` and `credit` are ordinary names, while counts
 * named after tokens (`maxTokens`, `tokenCount`) are caught: a name cannot tell a count of tokens
 * from a token. A job that wants such a field frozen names it (`frozen: [...]`) or returns it
 * from a `frozen` function.
 */

/** Words whose presence at the end of a part marks a secret. @internal */
export const SECRET_WORDS: readonly string[] = [
  'password', 'passwd', 'passphrase', 'pwd', 'secret', 'token', 'credential', 'creds', 'cookie', 'auth', 'authorization',
];

/** Parts that make a following `key` a secret key. @internal */
export const KEY_QUALIFIERS: readonly string[] = [
  'api', 'access', 'private', 'secret', 'signing', 'encryption', 'master', 'session', 'ssh', 'hmac', 'license',
];

const QUALIFIERS = new Set(KEY_QUALIFIERS);
const JOINED_KEYS = new Set(KEY_QUALIFIERS.flatMap((q) => [`${q}key`, `${q}keys`]));

/**
 * The word parts of a name, lower-cased (rule 1 above).
 * @internal
 *
 * @example
 * ```ts
 * nameParts('x-API_Key2'); // ['x', 'api', 'key', '2']
 * ```
 */
export function nameParts(name: string): string[] {
  return name
    .replace(/(\p{L})(?=\p{Nd})|(\p{Nd})(?=\p{L})/gu, '$1$2 ')
    .replace(/([\p{Ll}\p{Nd}])(?=\p{Lu})/gu, '$1 ')
    .replace(/(\p{Lu})(?=\p{Lu}\p{Ll})/gu, '$1 ')
    .split(/[^\p{L}\p{Nd}]+/u)
    .filter((p) => p !== '')
    .map((p) => p.toLowerCase());
}

function endsWithWord(part: string): boolean {
  return SECRET_WORDS.some((w) => part.endsWith(w) || part.endsWith(`${w}s`));
}

/**
 * Whether a field name marks a secret (the rule at the top of this file): `apiKey`, `api_key`,
 * `x-auth-token`, `DB_PASSWORD`, `sessionCookie` do; `keys`, `monkey`, `author`, `tokenizer` do not.
 * @internal
 *
 * @example
 * ```ts
 * isSecretName('DB_PASSWORD'); // true
 * isSecretName('monkey');      // false
 * ```
 */
export function isSecretName(name: string): boolean {
  const parts = nameParts(name);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const before = i > 0 ? parts[i - 1] : '';
    if (endsWithWord(p) || JOINED_KEYS.has(p) || p === 'sessionid') return true;
    if ((p === 'key' || p === 'keys') && QUALIFIERS.has(before)) return true;
    if (p === 'id' && before === 'session') return true;
  }
  return false;
}
