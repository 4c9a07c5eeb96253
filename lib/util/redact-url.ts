import { isSecretName } from './secret-name';

/**
 * A server URL for messages: its password and the values of query parameters whose names mark a
 * secret (`?password=`, `?sslkey=`… see secret-name.ts) replaced by `***`. Text that does not parse
 * as a URL still loses whatever sits between `scheme://` and an `@` (the user-info part).
 * @internal
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const name of [...u.searchParams.keys()]) if (isSecretName(name)) u.searchParams.set(name, '***');
    return u.toString();
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
  }
}
