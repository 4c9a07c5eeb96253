import type * as http from 'node:http';
import { constructedBy, lazyModule } from './lazy-module';
import type { BuiltinReconnector } from './builtin';

/** node:http, loaded at first use (see lazy-module.ts). */
const Http = lazyModule(() => require('node:http') as typeof http);

/** Agent settings worth saving (all plain values). @internal */
export const AGENT_SETTINGS = ['keepAlive', 'keepAliveMsecs', 'maxSockets', 'maxFreeSockets', 'maxTotalSockets', 'scheduling', 'timeout', 'noDelay'];

/** Plain-valued settings of an agent's `options` among `names`. @internal */
export function agentSettings(options: Record<string, unknown> | undefined, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of names) {
    const v = options?.[k];
    if (v !== undefined && v !== null && ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v;
  }
  return out;
}

interface Meta {
  global?: true;
  options?: Record<string, unknown>;
}

/**
 * `http.Agent` (exactly that class): saved as its pool settings (keepAlive, maxSockets…);
 * `http.globalAgent` is saved as such and comes back as the new process's global agent.
 * @internal
 */
export const httpAgent: BuiltinReconnector = {
  name: 'http.Agent',
  describes: 'http.Agent',
  matches: (v) => constructedBy(v, 'Agent') && v instanceof Http().Agent && Object.getPrototypeOf(v) === Http().Agent.prototype,
  extract(a: http.Agent & { options?: Record<string, unknown> }): Meta {
    if (a === Http().globalAgent) return { global: true };
    return { options: agentSettings(a.options, AGENT_SETTINGS) };
  },
  reconnect: (meta: Meta) => (meta.global ? Http().globalAgent : new (Http().Agent)(meta.options as http.AgentOptions)),
  dispose: (a: http.Agent) => {
    if (a !== Http().globalAgent) a.destroy();
  },
};
