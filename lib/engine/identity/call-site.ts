/**
 * Raw call sites: where the running code really is (the generated file, its line and column), read
 * through V8's structured stack API, which source maps, tsx, ts-node and source-map-support do not
 * rewrite (they rewrite the printed stack only).
 * @internal
 */

/** One frame of the running code. @internal */
export interface RawSite {
  /** the script's file name or URL as the runtime loaded it (`file://…` in ES modules, `webpack://…` for eval'ed modules), or null */
  file: string | null;
  /** 1-based line in that script */
  line: number;
  /** 1-based column in that script */
  column: number;
  /** whether the frame runs eval'ed code */
  isEval: boolean;
}

interface CallSiteLike {
  getFileName(): string | null | undefined;
  getScriptNameOrSourceURL?(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  isEval?(): boolean;
}

/**
 * The frames above `skip` (the function that asks, excluded with everything it called), innermost
 * first; all frames when `skip` is omitted. Empty when the runtime offers no structured call sites.
 * @internal
 */
export function rawCallSites(skip?: (...args: never[]) => unknown, limit = 40): RawSite[] {
  const E = Error as ErrorConstructor & { prepareStackTrace?: (e: Error, sites: unknown[]) => unknown };
  const prepare = E.prepareStackTrace;
  const stackLimit = E.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  let sites: unknown;
  try {
    E.prepareStackTrace = (_e, s) => s;
    E.stackTraceLimit = limit;
    if (typeof E.captureStackTrace !== 'function') return [];
    E.captureStackTrace(holder, skip ?? rawCallSites);
    sites = holder.stack; // V8 formats lazily: read while our prepareStackTrace is in place
  } catch {
    return [];
  } finally {
    E.prepareStackTrace = prepare;
    E.stackTraceLimit = stackLimit;
  }
  if (!Array.isArray(sites)) return [];
  const out: RawSite[] = [];
  for (const s of sites as CallSiteLike[]) {
    if (!s || typeof s.getFileName !== 'function') continue;
    let file: string | null | undefined = s.getFileName();
    const isEval = typeof s.isEval === 'function' && s.isEval();
    if ((!file || isEval) && typeof s.getScriptNameOrSourceURL === 'function') file = s.getScriptNameOrSourceURL() || file;
    out.push({ file: file || null, line: s.getLineNumber() ?? 0, column: s.getColumnNumber() ?? 0, isEval });
  }
  return out;
}

/** The file of the code that calls this function (safe-state's own file as it is loaded). @internal */
export function ownFile(): string | null {
  return rawCallSites(ownFile)[0]?.file ?? null;
}
