/**
 * A small local HTTP API for the api-enrichment sample: `GET /users/<id>` answers a profile as JSON.
 * It listens on 127.0.0.1 only. Deterministic answers, so runs can be compared.
 *
 * Standalone: `npx tsx samples/api-enrichment/fake-api.ts [--port 8787] [--fail-at ID] [--delay MS]`,
 * then `npx tsx samples/api-enrichment/enrich-users.ts --api http://127.0.0.1:8787`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the API knows about a user. */
export interface Profile {
  id: number;
  company: string;
  country: string;
  plan: 'free' | 'team' | 'enterprise';
  seats: number;
}

const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Tyrell'];
const COUNTRIES = ['US', 'DE', 'FR', 'BR', 'JP', 'IN', 'NG', 'CA'];
const PLANS = ['free', 'team', 'enterprise'] as const;

/** The profile the API answers for a user id. */
export function profileOf(id: number): Profile {
  return { id, company: `${COMPANIES[id % 8]} ${Math.floor(id / 8)}`, country: COUNTRIES[(id * 5) % 8], plan: PLANS[id % 3], seats: 1 + ((id * 37) % 250) };
}

/** Options of {@link startFakeApi}. */
export interface FakeApiOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** The first request for this user id is answered `503 Service Unavailable`. */
  failAt?: number | null;
  /** Time to answer each request, ms (default 0). */
  delayMs?: number;
  /** Called with each request (`count`: how many times this id was asked, this one included). Answering `'hang'` leaves it unanswered. */
  onRequest?: (id: number, count: number) => void | 'hang';
}

/** A running fake API. */
export interface FakeApi {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** How many times each user id was requested. */
  requests: Map<number, number>;
  close(): Promise<void>;
}

/** Starts the API; resolves once it listens. */
export async function startFakeApi(options: FakeApiOptions = {}): Promise<FakeApi> {
  const requests = new Map<number, number>();
  let failed = false;
  const server = http.createServer((req, res) => {
    const m = /^\/users\/(\d+)$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const id = Number(m[1]);
    const count = (requests.get(id) ?? 0) + 1;
    requests.set(id, count);
    if (options.onRequest?.(id, count) === 'hang') return;
    setTimeout(() => {
      if (id === options.failAt && !failed) {
        failed = true;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"overloaded, try again later"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(profileOf(id)));
    }, options.delayMs ?? 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  void startFakeApi({ port: opt('--port') ?? 8787, failAt: opt('--fail-at') ?? null, delayMs: opt('--delay') }).then((api) => {
    console.log(`fake API listening on ${api.url} (GET /users/<id>); Ctrl-C to stop`);
  });
}
