import type { ChunkClaim, SharedChunkStore, SharedJobLayout, SharedJobRecord, SharedJobStatus } from '../shared-chunks';
import type { FailureInfo } from '../../state/checkpoint-doc';
import type { RedisScript } from './redis-script';
import { decodeJobName, encodeJobName } from './redis-keys';
import { newToken, parseFailure, parseFingerprint } from '../shared-chunk-codec';
import { CLAIM, COMPLETE, MARK, OPEN, RELEASE, RENEW, STATUS } from './redis-chunk-scripts';

/** Runs a script or a command for the store, turning failures into `BackendError`s. @internal */
export interface RedisChunkIo {
  script(what: string, script: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown>;
  cmd(what: string, command: string, args: (string | number)[]): Promise<unknown>;
}

/**
 * The chunk store of {@link RedisBackend} (shared jobs). Keys of a job, all in one cluster hash
 * slot (the braces): `<prefix>shared:{<name>}` (hash: total, size, chunks, fp, next, donechunks,
 * complete, runs, failure, updated), `<prefix>leases:{<name>}` (sorted set of held chunks by lease
 * expiry), `<prefix>tokens:{<name>}` (hash: chunk → lease token), `<prefix>done:{<name>}` (bitmap
 * of done item indices). Job names are escaped as in the checkpoint keys. When the job completes,
 * every key gets the retention time as its expiry.
 * @internal
 */
export class RedisChunks implements SharedChunkStore {
  constructor(
    private readonly prefix: string,
    private readonly io: RedisChunkIo,
  ) {}

  private keys(jobName: string): string[] {
    const e = encodeJobName(jobName);
    return [`${this.prefix}shared:{${e}}`, `${this.prefix}leases:{${e}}`, `${this.prefix}tokens:{${e}}`, `${this.prefix}done:{${e}}`];
  }

  private run(what: string, jobName: string, script: RedisScript, args: (string | number)[]): Promise<unknown> {
    return this.io.script(`${what} of shared job '${jobName}'`, script, this.keys(jobName), args);
  }

  async open(jobName: string, layout: SharedJobLayout, completedTtlMs: number): Promise<SharedJobRecord> {
    const chunks = Math.ceil(layout.total / layout.chunkSize);
    const r = (await this.run('cannot open the record', jobName, OPEN, [
      layout.total, layout.chunkSize, chunks, JSON.stringify(layout.fingerprint), Math.ceil(completedTtlMs),
    ])) as unknown[];
    return {
      total: Number(r[0]),
      chunkSize: Number(r[1]),
      fingerprint: parseFingerprint(r[2]),
      complete: r[3] != null && r[3] !== false,
      runCount: Number(r[4]),
    };
  }

  async claim(jobName: string, leaseMs: number): Promise<ChunkClaim> {
    const token = newToken();
    const r = (await this.run('cannot claim a chunk', jobName, CLAIM, [Math.ceil(leaseMs), token])) as unknown[];
    const kind = String(r[0]);
    if (kind === 'done' || kind === 'gone') return { kind: 'done' };
    if (kind === 'wait') return { kind: 'wait', retryInMs: Number(r[1]) };
    const text = String(r[4] ?? '');
    const done = new Set<number>(text === '' ? [] : text.split(',').map(Number));
    return { kind: 'chunk', chunk: Number(r[1]), start: Number(r[2]), end: Number(r[3]), token, done };
  }

  async renew(jobName: string, chunk: number, token: string, leaseMs: number): Promise<boolean> {
    return Number(await this.run('cannot renew a lease', jobName, RENEW, [chunk, token, Math.ceil(leaseMs)])) === 1;
  }

  async mark(jobName: string, chunk: number, token: string, offsets: readonly number[], leaseMs: number): Promise<boolean> {
    return Number(await this.run('cannot mark items', jobName, MARK, [chunk, token, offsets.join(','), Math.ceil(leaseMs)])) === 1;
  }

  async complete(jobName: string, chunk: number, token: string, completedTtlMs: number): Promise<'ok' | 'lost' | 'job-complete'> {
    const r = Number(await this.run('cannot complete a chunk', jobName, COMPLETE, [chunk, token, Math.ceil(completedTtlMs)]));
    return r === 2 ? 'job-complete' : r === 1 ? 'ok' : 'lost';
  }

  async release(jobName: string, chunk: number, token: string): Promise<void> {
    await this.run('cannot release a chunk', jobName, RELEASE, [chunk, token]);
  }

  async recordFailure(jobName: string, failure: FailureInfo): Promise<void> {
    const [record] = this.keys(jobName);
    await this.io.cmd(`cannot record a failure of shared job '${jobName}'`, 'HSET', [record, 'failure', JSON.stringify(failure)]);
  }

  async status(jobName: string): Promise<SharedJobStatus | null> {
    const r = (await this.run('cannot read the record', jobName, STATUS, [])) as unknown[] | null;
    if (!r) return null;
    const hex = String(r[7] ?? '');
    const doneItems: number[] = [];
    for (let b = 0; b < hex.length / 2; b++) {
      const byte = parseInt(hex.slice(b * 2, b * 2 + 2), 16);
      if (byte === 0) continue;
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) doneItems.push(b * 8 + bit);
    }
    return {
      total: Number(r[0]),
      chunkSize: Number(r[1]),
      fingerprint: parseFingerprint(r[2]),
      complete: r[3] != null && r[3] !== false,
      runCount: Number(r[4] ?? 0),
      lastFailure: parseFailure(r[5]),
      updatedAt: Number(r[6] ?? 0),
      doneItems,
    };
  }

  async clear(jobName: string): Promise<void> {
    await this.io.cmd(`cannot clear shared job '${jobName}'`, 'DEL', this.keys(jobName));
  }

  async list(): Promise<string[]> {
    const names = new Set<string>();
    const head = `${this.prefix}shared:{`;
    let cursor = '0';
    do {
      const reply = (await this.io.cmd('cannot list shared jobs', 'SCAN', [cursor, 'MATCH', `${head}*}`, 'COUNT', 1000])) as [string, string[]];
      cursor = String(reply[0]);
      for (const key of reply[1]) {
        const k = String(key);
        if (k.startsWith(head) && k.endsWith('}')) names.add(decodeJobName(k.slice(head.length, -1)));
      }
    } while (cursor !== '0');
    return [...names].sort();
  }
}
