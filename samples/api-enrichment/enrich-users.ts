/**
 * Sample: enrich users with data from an HTTP API, saving progress every 25 calls (`saveEvery`).
 *
 * For each user id the job calls `GET <api>/users/<id>` and appends the answer to
 * `enriched.jsonl`; at the end it writes `enriched.json`, one profile per user. API calls are fast
 * and harmless to repeat (GET), so the job does not pay for a save after every call: with
 * `saveEvery: 25` a kill repeats at most the calls since the last save. A thrown error (the API
 * answers 503) still saves every completed call before the error leaves the job.
 *
 * Usage (from any working directory; output and `.safe_state/` go there):
 *
 *   npx tsx samples/api-enrichment/enrich-users.ts [--api URL] [--count N] [--fail-at ID] [--crash-at ID] [--delay MS]
 *
 * - `--api URL`: the API to call. Without it, the sample starts its own fake API (fake-api.ts) on
 *   127.0.0.1 in the same process.
 * - `--count N`: users 0..N-1 (default 200).
 * - `--fail-at ID`: (own fake API) the first request for user ID gets `503 Service Unavailable`.
 * - `--crash-at ID`: (own fake API) the process kills itself (SIGKILL) when it requests user ID.
 * - `--delay MS`: (own fake API) time per answer (default 2).
 *
 * Output: verbose lines on stderr; on stdout `this run: <n> API calls; enriched.json: <m> users`
 * (or how far it got). Exit code 0 when every user is enriched, 1 when the run stopped on an error.
 */
import * as fs from 'node:fs';
import { SafeState, SafeStateError } from '../../lib/index';
import { startFakeApi, type FakeApi, type Profile } from './fake-api';

/** A non-2xx answer of the API. */
export class ApiError extends Error {
  static {
    this.prototype.name = 'ApiError';
  }
  constructor(readonly status: number, statusText: string) {
    super(`${status} ${statusText}`);
  }
}

/** The API client: one GET per user. */
export class ProfileApi {
  calls = 0;
  constructor(private readonly baseUrl: string) {}

  async profile(id: number): Promise<Profile> {
    this.calls++;
    const res = await fetch(`${this.baseUrl}/users/${id}`);
    if (!res.ok) throw new ApiError(res.status, res.statusText);
    return (await res.json()) as Profile;
  }
}

/** The job. */
export class Enrichment {
  constructor(private readonly api: ProfileApi) {}

  // saveEvery: 25: progress is saved after every 25th completed call (and always on an error or
  // Ctrl-C). A kill -9 or a crash repeats at most the calls since the last save.
  @SafeState({ name: 'api-enrichment', saveEvery: 25, verbose: true })
  async run(userIds: number[]): Promise<number> {
    for (const id of userIds) {
      const profile = await this.api.profile(id);
      fs.appendFileSync('enriched.jsonl', JSON.stringify(profile) + '\n');
    }
    return writeEnrichedJson('enriched.jsonl', 'enriched.json');
  }
}

/**
 * Folds the appended answers into `enriched.json`: one profile per user (a call repeated after a
 * kill appended the same user twice; the last answer wins), written atomically. Idempotent: when
 * a crash cuts it short, the rerun (all calls done) simply does it again.
 */
export function writeEnrichedJson(jsonl: string, out: string): number {
  const byId = new Map<number, Profile>();
  for (const line of fs.readFileSync(jsonl, 'utf8').split('\n')) {
    if (!line) continue;
    const p = JSON.parse(line) as Profile;
    byId.set(p.id, p);
  }
  const profiles = [...byId.values()].sort((a, b) => a.id - b.id);
  fs.writeFileSync(`${out}.tmp`, JSON.stringify(profiles, null, 1) + '\n');
  fs.renameSync(`${out}.tmp`, out);
  return profiles.length;
}

function usage(problem?: string): never {
  const text = 'usage: enrich-users [--api URL] [--count N] [--fail-at ID] [--crash-at ID] [--delay MS]';
  if (problem) {
    console.error(`${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

async function main(): Promise<void> {
  const args = { api: null as string | null, count: 200, failAt: null as number | null, crashAt: null as number | null, delayMs: 2 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? usage(`${flag} needs a value`);
    const int = () => {
      const n = Number(value());
      return Number.isSafeInteger(n) && n >= 0 ? n : usage(`${flag} must be a non-negative integer`);
    };
    if (flag === '--api') args.api = value();
    else if (flag === '--count') args.count = int();
    else if (flag === '--fail-at') args.failAt = int();
    else if (flag === '--crash-at') args.crashAt = int();
    else if (flag === '--delay') args.delayMs = int();
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument ${flag}`);
  }
  let own: FakeApi | null = null;
  if (!args.api) {
    own = await startFakeApi({
      failAt: args.failAt,
      delayMs: args.delayMs,
      onRequest: (id) => {
        if (id === args.crashAt) process.kill(process.pid, 'SIGKILL');
      },
    });
  }
  const api = new ProfileApi(args.api ?? own!.url);
  try {
    const users = await new Enrichment(api).run(Array.from({ length: args.count }, (_, id) => id));
    console.log(`this run: ${api.calls} API calls; enriched.json: ${users} users`);
  } catch (error) {
    console.log(`this run: ${api.calls} API calls`);
    const e = error as Error;
    console.error(`stopped: ${e.name}: ${e.message}${SafeStateError.is(e) ? '' : ' (run the same command again to resume)'}`);
    process.exitCode = 1;
  } finally {
    await own?.close();
  }
}

if (require.main === module) void main();
