import { parseFlat, unflattenWith } from '../state/serializer';
import { ReconnectError } from '../errors/reconnect-error';
import { descriptorOf, type LiveDescriptor } from './hooks';
import { reconnectorNamed, type ReconnectorEntry } from './registry';

/**
 * Parses serialized text and rebuilds its live objects with their registered reconnectors
 * (`reconnect` may be async). Runs in three steps: an inert parse that collects the descriptors, the
 * reconnects (concurrently), and a second parse that puts the rebuilt objects where the descriptors
 * were (devalue visits them in the same order, so shared references and cycles come out right).
 *
 * A reconnect that fails, or a descriptor naming a reconnector this process has not registered,
 * throws {@link ReconnectError} naming the reconnector and the property path under `root`, with
 * the original error as `cause`; objects already rebuilt for this value are disposed first.
 * Damaged text throws `PayloadError` (the caller reports it as a corrupt checkpoint).
 * @internal
 */
export async function reviveValue(text: string, root: string): Promise<unknown> {
  const flat = parseFlat(text);
  const found: LiveDescriptor[] = [];
  const inert = unflattenWith(flat, (payload) => {
    const d = descriptorOf(payload);
    found.push(d);
    return d;
  });
  if (found.length === 0) return inert;
  const entries = found.map((d) => reconnectorNamed(d.reconnector));
  const settled = await Promise.allSettled(found.map(async (d, i) => rebuild(entries[i], d)));
  const failedAt = settled.findIndex((s) => s.status === 'rejected');
  if (failedAt >= 0) {
    await Promise.allSettled(
      settled.map(async (s, i) => {
        if (s.status === 'fulfilled') await entries[i]?.dispose?.(s.value);
      }),
    );
    const d = found[failedAt];
    const cause = (settled[failedAt] as PromiseRejectedResult).reason;
    throw new ReconnectError(d.reconnector, root + (pathTo(inert, d) ?? ''), { cause });
  }
  const live = settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
  let i = 0;
  return unflattenWith(flat, () => live[i++]);
}

async function rebuild(entry: ReconnectorEntry | undefined, d: LiveDescriptor): Promise<unknown> {
  if (!entry) {
    throw new Error(`no reconnector named '${d.reconnector}' is registered in this process: register it (registerReconnector) before the job resumes`);
  }
  return entry.reconnect(d.meta);
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

function keyPath(key: string): string {
  return IDENT.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function mapKey(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : typeof key === 'number' || typeof key === 'boolean' || key === null ? String(key) : '…';
}

/** The property path from `root` to `target` (first found, breadth first), e.g. `.clients[2].db`. @internal */
export function pathTo(root: unknown, target: unknown): string | null {
  if (root === target) return '';
  const seen = new Set<unknown>([root]);
  const queue: [unknown, string][] = [[root, '']];
  for (let q = 0; q < queue.length; q++) {
    const [node, path] = queue[q];
    if (node === null || typeof node !== 'object') continue;
    const children: [unknown, string][] = [];
    if (Array.isArray(node)) node.forEach((v, i) => children.push([v, `[${i}]`]));
    else if (node instanceof Map) for (const [k, v] of node) children.push([k, `.keys()[…]`], [v, `.get(${mapKey(k)})`]);
    else if (node instanceof Set) [...node].forEach((v, i) => children.push([v, `.values()[${i}]`]));
    else for (const k of Object.keys(node)) children.push([(node as Record<string, unknown>)[k], keyPath(k)]);
    for (const [child, seg] of children) {
      if (child === target) return path + seg;
      if (child !== null && typeof child === 'object' && !seen.has(child)) {
        seen.add(child);
        queue.push([child, path + seg]);
      }
    }
  }
  return null;
}
