/** A server URL for messages: its password replaced by `***` (unparseable text is returned as is). @internal */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
