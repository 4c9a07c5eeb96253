/**
 * The seam between serialization and the reconnect registry: devalue reducers (live object →
 * small description) and revivers (description → fresh live object). Empty until reconnectors are
 * registered.
 * @internal
 */
export interface ReconnectHooks {
  reducers: Record<string, (value: unknown) => unknown>;
  revivers: Record<string, (value: any) => unknown>;
}

const none: ReconnectHooks = { reducers: {}, revivers: {} };
let provider: () => ReconnectHooks = () => none;

/** @internal */
export function reconnectHooks(): ReconnectHooks {
  return provider();
}

/** @internal used by the reconnect registry to plug itself in */
export function setReconnectHookProvider(p: () => ReconnectHooks): void {
  provider = p;
}
