import type * as https from 'node:https';
import { constructedBy, lazyModule } from './lazy-module';
import type { BuiltinReconnector } from './builtin';
import { AGENT_SETTINGS, agentSettings } from './http-agent';
import { TLS_MATERIAL } from '../secret-free';
import { missingCredentials, resolveCredentials, type CredentialsRequest } from '../credentials';

/** node:https, loaded at first use (see lazy-module.ts). */
const Https = lazyModule(() => require('node:https') as typeof https);

const TLS_SETTINGS = ['rejectUnauthorized', 'servername', 'minVersion', 'maxVersion', 'ciphers', 'ecdhCurve', 'honorCipherOrder', 'maxCachedSessions', 'sessionTimeout'];

interface Meta {
  global?: true;
  options?: Record<string, unknown>;
  /** TLS material the agent had (names only): supplied again by a credentials resolver */
  tls?: string[];
}

/**
 * `https.Agent` (exactly that class): saved as its pool and TLS settings; TLS material (`ca`,
 * `cert`, `key`, `pfx`, `passphrase`…) is never saved but supplied again on reconnect by a resolver
 * registered with `registerCredentials('https.Agent', …)`. `https.globalAgent` comes back as the
 * new process's global agent.
 * @internal
 */
export const httpsAgent: BuiltinReconnector = {
  name: 'https.Agent',
  describes: 'https.Agent',
  matches: (v) => constructedBy(v, 'Agent') && v instanceof Https().Agent && Object.getPrototypeOf(v) === Https().Agent.prototype,
  extract(a: https.Agent & { options?: Record<string, unknown> }): Meta {
    if (a === Https().globalAgent) return { global: true };
    const meta: Meta = { options: agentSettings(a.options, [...AGENT_SETTINGS, ...TLS_SETTINGS]) };
    const tls = TLS_MATERIAL.filter((k) => a.options?.[k] !== undefined && a.options?.[k] !== null);
    if (tls.length) meta.tls = tls;
    return meta;
  },
  async reconnect(meta: Meta) {
    if (meta.global) return Https().globalAgent;
    let extra: Record<string, unknown> | null = null;
    if (meta.tls?.length) {
      const request: CredentialsRequest = { reconnector: 'https.Agent', driver: 'https', settings: meta.options ?? {}, missing: meta.tls };
      extra = await resolveCredentials(request);
      if (!extra) throw missingCredentials(request, []);
    }
    return new (Https().Agent)({ ...(meta.options as https.AgentOptions), ...extra });
  },
  dispose: (a: https.Agent) => {
    if (a !== Https().globalAgent) a.destroy();
  },
};
