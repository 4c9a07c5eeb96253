import { globalRegistry } from '../util/global-registry';
import { InvalidOptionsError } from '../errors/invalid-options-error';
import type { ReconnectorInfo, ReconnectorOptions } from './reconnector';
import { BUILTIN_RECONNECTORS, type BuiltinReconnector } from './builtins';

/**
 * A registered reconnector as stored in the process-wide registry (shared by every loaded copy of
 * safe-state, so its shape is versioned by `v` and only ever extended).
 * @internal
 */
export interface ReconnectorEntry {
  readonly v: 1;
  readonly name: string;
  /** the class given to registerReconnector, or null */
  readonly type: Function | null;
  /** whether `matches` is the user's own predicate (consulted for every object) */
  readonly custom: boolean;
  readonly matches: (value: unknown) => boolean;
  readonly extract: (obj: any) => unknown;
  readonly reconnect: (meta: any) => unknown;
  readonly dispose?: (obj: any) => unknown;
  readonly builtin: boolean;
  readonly origin: string;
}

const NAME_RE = /^[^\s\x00-\x1f\x7f]{1,200}$/;

/** Classes devalue stores by itself: registering them would hijack ordinary data. */
const DATA_TYPES: ReadonlySet<Function> = new Set<Function>([Object, Array, Map, Set, Date, RegExp, Function, Promise, Number, String, Boolean, BigInt, Symbol, URL, URLSearchParams]);

function entries(): Map<string, ReconnectorEntry> {
  return globalRegistry().reconnectors as Map<string, ReconnectorEntry>;
}

/** `file:line` of the first caller outside the reconnect registry, for messages. */
function callSite(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const line of stack) {
    if (/[\\/]lib[\\/]reconnect[\\/]|[\\/]dist[\\/]reconnect[\\/]|node:internal|\(native\)/.test(line)) continue;
    const m = /\(?((?:file:\/\/)?[^\s()]+:\d+):\d+\)?\s*$/.exec(line.trim());
    if (m) return m[1];
  }
  return 'an unknown place';
}

function fail(option: string, message: string): never {
  throw new InvalidOptionsError(option, message);
}

/**
 * Registers how live objects of a class are saved and rebuilt (see {@link ReconnectorOptions}).
 * Saved state then stores such objects anywhere in it (`checkpoint()` state, the job instance's
 * fields captured on failure, `record()` results) as `{ reconnector: name, meta }`, and a resuming
 * run rebuilds them before the job body sees them. Later registrations are consulted before earlier
 * ones, and every user registration before the built-ins, so a subclass can be handled apart from
 * its base class.
 *
 * Names are stable identifiers written into checkpoints: registering a name twice throws
 * `InvalidOptionsError` naming both registrations (unregister the first, e.g. to replace a built-in).
 * The registry is process-wide and shared by every loaded copy of safe-state.
 *
 * @param Type - the class whose instances this reconnector handles (matched with `instanceof`
 *   unless `matches` is given)
 * @param options - `name?`, `matches?`, `extract`, `reconnect`, `dispose?`
 * @returns a function that unregisters this reconnector (handy in tests)
 * @example
 * ```ts
 * const unregister = registerReconnector(Browser, {
 *   name: 'puppeteer.Browser',
 *   extract: (b) => ({ wsEndpoint: b.wsEndpoint() }),
 *   reconnect: (m) => puppeteer.connect({ browserWSEndpoint: m.wsEndpoint }),
 * });
 * ```
 */
export function registerReconnector<T extends object, M = unknown>(Type: abstract new (...args: any[]) => T, options: ReconnectorOptions<T, M>): () => void;
/**
 * Registers a reconnector that finds its objects with a predicate instead of a class (for objects
 * without a usable class, such as factory-made clients). `name` and `matches` are required.
 *
 * @param options - `name`, `matches`, `extract`, `reconnect`, `dispose?`
 * @returns a function that unregisters this reconnector
 * @example
 * ```ts
 * registerReconnector({
 *   name: 'acme.client',
 *   matches: (v) => typeof v === 'object' && v !== null && (v as any).kind === 'acme-client',
 *   extract: (c: AcmeClient) => ({ url: c.url }),
 *   reconnect: (m) => createAcmeClient(m.url),
 * });
 * ```
 */
export function registerReconnector<T = unknown, M = unknown>(options: ReconnectorOptions<T, M> & { name: string; matches: (value: unknown) => boolean }): () => void;
export function registerReconnector(a: unknown, b?: unknown): () => void {
  const Type = typeof a === 'function' ? (a as Function) : null;
  const options = (Type ? b : a) as ReconnectorOptions | undefined;
  if (!Type && a !== null && typeof a !== 'object') fail('Type', `registerReconnector(Type, options): Type must be a class (got ${typeof a})`);
  if (!options || typeof options !== 'object') fail('options', 'registerReconnector: options { extract, reconnect } are required');
  if (Type && DATA_TYPES.has(Type)) fail('Type', `registerReconnector: ${Type.name} values are stored by devalue itself and cannot have a reconnector`);
  if (typeof options.extract !== 'function') fail('extract', 'registerReconnector: extract(obj) => meta must be a function');
  if (typeof options.reconnect !== 'function') fail('reconnect', 'registerReconnector: reconnect(meta) => obj must be a function');
  if (options.dispose !== undefined && typeof options.dispose !== 'function') fail('dispose', 'registerReconnector: dispose(obj) must be a function');
  if (options.matches !== undefined && typeof options.matches !== 'function') fail('matches', 'registerReconnector: matches(value) => boolean must be a function');
  if (!Type && !options.matches) fail('matches', 'registerReconnector(options) without a class needs matches(value) => boolean');
  const name = options.name ?? Type?.name;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    fail('name', `registerReconnector: ${name === undefined || name === '' ? 'the class has no name, so pass a name' : `name ${JSON.stringify(name)} must be 1 to 200 characters without spaces or control characters`}`);
  }
  const origin = `${Type ? `class ${Type.name || '(anonymous)'}` : 'a matches() predicate'} registered at ${callSite()}`;
  const entry: ReconnectorEntry = {
    v: 1,
    name,
    type: Type,
    custom: options.matches !== undefined,
    matches: options.matches ?? ((value: unknown) => value instanceof (Type as Function)),
    extract: options.extract,
    reconnect: options.reconnect,
    dispose: options.dispose,
    builtin: false,
    origin,
  };
  add(entry);
  return () => {
    if (entries().get(name) === entry) entries().delete(name);
  };
}

function add(entry: ReconnectorEntry): void {
  const map = entries();
  const existing = map.get(entry.name);
  if (existing) {
    throw new InvalidOptionsError(
      'name',
      `a reconnector named '${entry.name}' is already registered (${existing.origin}); ` +
        `this registration (${entry.origin}) needs another name, or unregister the first one (unregisterReconnector('${entry.name}'))`,
    );
  }
  map.set(entry.name, entry);
}

/**
 * Removes a reconnector by name (also a built-in one, e.g. to register your own under its name).
 * Checkpoints that name it can still be inspected (their live objects stay inert descriptors) but
 * no longer resume until a reconnector of that name is registered again.
 *
 * @param name - the reconnector's name
 * @returns whether one was registered
 * @example
 * ```ts
 * unregisterReconnector('net.Socket');
 * registerReconnector(net.Socket, { name: 'net.Socket', extract: mine, reconnect: mineAgain });
 * ```
 */
export function unregisterReconnector(name: string): boolean {
  return entries().delete(name);
}

/**
 * The registered reconnectors, built-in and yours, in registration order.
 *
 * @example
 * ```ts
 * console.log(listReconnectors().map((r) => r.name)); // ['better-sqlite3.Database', 'net.Socket', …]
 * ```
 */
export function listReconnectors(): ReconnectorInfo[] {
  return [...entries().values()].map((e) => ({ name: e.name, builtin: e.builtin, origin: e.origin }));
}

/** The reconnector registered under `name`, if any. @internal */
export function reconnectorNamed(name: string): ReconnectorEntry | undefined {
  return entries().get(name);
}

/**
 * The registered reconnectors in the order values are matched: user predicates (latest first),
 * user classes (latest first), then the built-ins.
 * @internal
 */
export interface MatchOrder {
  custom: ReconnectorEntry[];
  typed: ReconnectorEntry[];
  builtins: ReconnectorEntry[];
}

/** @internal */
export function matchOrder(): MatchOrder {
  const custom: ReconnectorEntry[] = [];
  const typed: ReconnectorEntry[] = [];
  const builtins: ReconnectorEntry[] = [];
  for (const e of entries().values()) (e.builtin ? builtins : e.custom ? custom : typed).push(e);
  custom.reverse();
  typed.reverse();
  return { custom, typed, builtins };
}

function builtinEntry(b: BuiltinReconnector): ReconnectorEntry {
  return { v: 1, name: b.name, type: null, custom: false, matches: b.matches, extract: b.extract, reconnect: b.reconnect, dispose: b.dispose, builtin: true, origin: `built-in reconnector for ${b.describes}` };
}

/**
 * (Re)installs the built-in reconnectors whose names are free; called when this module loads.
 * Exported for tests that unregistered a built-in.
 * @internal
 */
export function installBuiltinReconnectors(): void {
  const map = entries();
  for (const b of BUILTIN_RECONNECTORS) if (!map.has(b.name)) map.set(b.name, builtinEntry(b));
}

installBuiltinReconnectors();
