import * as fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { SafeState, FileBackend, type WriteOptions } from '../lib/index';
import { KeyProgress, type ItemKey } from '../lib/progress/key-progress';
import { newDoc } from '../lib/state/checkpoint-doc';
import { encodeFull, encodeSnapshot, decodeCheckpoint } from '../lib/state/checkpoint-codec';
import { COMPACT_BYTES, COMPACT_BYTES_PER_RECORD, COMPACT_RECORDS } from '../lib/engine/progress-writer';
import type { LoopTiming } from './loop-timing';
import { median } from './stats';
import { prng } from '../spec/crash/crash-harness'; // seeded (mulberry32): every run measures the same keys

/**
 * The `key` option at scale: how large the checkpoint of a job with many done keys is, what a
 * compaction (the full rewrite that carries the whole key list) costs, and what a keyed job costs
 * per item against the same job without `key`.
 */

/** Size and codec cost of one key shape. */
export interface KeyShape {
  id: string;
  label: string;
  keys: number;
  /** bytes of the key list in the snapshot as written (format 2: integer ranges + JSON array) */
  compactBytes: number;
  /** bytes of the key list as one JSON array (format 1) */
  jsonBytes: number;
  /** the same two, per million keys (MB = 10^6 bytes) */
  compactMBPerMillion: number;
  jsonMBPerMillion: number;
  /** median ms to encode / decode the whole snapshot */
  encodeMs: number;
  decodeMs: number;
}

/** A keyed job on FileBackend 'process', saveEvery 1, against the same job without `key`. */
export interface KeyJob {
  id: string;
  label: string;
  items: number;
  rounds: number;
  /** median µs per item of the keyed job, and of the same loop without key */
  perItemUs: number;
  baselinePerItemUs: number;
  /** full rewrites in one run (the run's start and the compactions) */
  fullRewrites: number;
  /** slowest full rewrite (ms) */
  maxRewriteMs: number;
  /** bytes handed to the backend per item (appends + full rewrites, records before framing) */
  bytesWrittenPerItem: number;
  /** size of the checkpoint file holding every key (kept with keepOnSuccess), bytes */
  checkpointBytes: number;
}

/** Cost of one compaction of a large keyed checkpoint. */
export interface KeyCompaction {
  keys: number;
  bytes: number;
  /** median ms of a full rewrite (write temp file, [fsync], rename, [fsync dir]) */
  strictMs: number;
  processMs: number;
  /** records appended (one key each) between two compactions at this size, and the strict rewrite amortized over them (µs per save) */
  recordsBetween: number;
  strictAmortizedUs: number;
}

export interface KeyStorageReport {
  shapes: KeyShape[];
  jobs: KeyJob[];
  compaction: KeyCompaction;
}

const SHAPES: Array<{ id: string; label: string; make(n: number): ItemKey[] }> = [
  { id: 'int-sequential', label: 'integers 1..n', make: (n) => Array.from({ length: n }, (_, i) => i + 1) },
  {
    id: 'int-gaps',
    label: 'integer ids, 10% missing',
    make: (n) => {
      const r = prng(1);
      const out: number[] = [];
      for (let id = 1; out.length < n; id++) if (r() >= 0.1) out.push(id);
      return out;
    },
  },
  {
    id: 'int-random',
    label: 'random integers < 2^32',
    make: (n) => {
      const r = prng(2);
      const s = new Set<number>();
      while (s.size < n) s.add(Math.floor(r() * 2 ** 32));
      return [...s];
    },
  },
  { id: 'str-short', label: "strings 'user-<n>'", make: (n) => Array.from({ length: n }, (_, i) => `user-${i + 1}`) },
  { id: 'str-uuid', label: 'UUID strings', make: (n) => Array.from({ length: n }, () => randomUUID()) },
];

function keyedDoc(keys: ItemKey[]) {
  const kp = new KeyProgress();
  for (const k of keys) kp.markDone(k);
  kp.clearPending();
  const doc = newDoc('bench-keys', kp);
  doc.totalItems = keys.length;
  return doc;
}

function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Snapshot size and codec cost of each key shape, at `n` keys. */
export function measureShapes(n: number, reps: number, progress: (m: string) => void): KeyShape[] {
  return SHAPES.map((shape) => {
    progress(`key storage: ${shape.label}, ${n} keys`);
    const keys = shape.make(n);
    const doc = keyedDoc(keys);
    const snap = JSON.parse(encodeSnapshot(doc)) as { kn: string; keys: ItemKey[] };
    const compactBytes = Buffer.byteLength(JSON.stringify(snap.kn)) + Buffer.byteLength(JSON.stringify(snap.keys));
    const jsonBytes = Buffer.byteLength(JSON.stringify(keys));
    let text = '';
    const enc: number[] = [];
    const dec: number[] = [];
    decodeCheckpoint(encodeSnapshot(doc)); // warm-up
    for (let r = 0; r < reps; r++) {
      enc.push(timeMs(() => (text = encodeSnapshot(doc))));
      dec.push(timeMs(() => {
        if (decodeCheckpoint(text).keys!.size !== keys.length) throw new Error('key count changed in a round trip');
      }));
    }
    return {
      id: shape.id,
      label: shape.label,
      keys: n,
      compactBytes,
      jsonBytes,
      compactMBPerMillion: compactBytes / n, // bytes per key = MB per million keys
      jsonMBPerMillion: jsonBytes / n,
      encodeMs: median(enc),
      decodeMs: median(dec),
    };
  });
}

/** FileBackend that counts what the engine hands it. */
class CountingFileBackend extends FileBackend {
  fullRewrites = 0;
  maxRewriteMs = 0;
  bytes = 0;
  reset(): void {
    this.fullRewrites = 0;
    this.maxRewriteMs = 0;
    this.bytes = 0;
  }
  override saveSync(jobName: string, data: string, options?: WriteOptions): void {
    const t0 = performance.now();
    super.saveSync(jobName, data, options);
    this.maxRewriteMs = Math.max(this.maxRewriteMs, performance.now() - t0);
    this.fullRewrites++;
    this.bytes += Buffer.byteLength(data);
  }
  override appendSync(jobName: string, records: string, options?: WriteOptions): void {
    super.appendSync(jobName, records, options);
    this.bytes += Buffer.byteLength(records);
  }
}

function loop(items: number[]): LoopTiming {
  let sum = 0;
  let n = 0;
  let first = 0;
  for (const x of items) {
    if (n++ === 0) first = performance.now();
    sum += x;
  }
  return { first, end: performance.now(), n, sum };
}

/**
 * Keyed jobs (string keys `user-<n>`, integer keys) and the same job without key, FileBackend
 * 'process', saveEvery 1, `for..of`, interleaved rounds.
 */
export async function measureJobs(dir: string, items: number, rounds: number, progress: (m: string) => void): Promise<KeyJob[]> {
  const backend = new CountingFileBackend({ dir });
  const opts = { backend, durability: 'process' as const, saveEvery: 1, keepOnSuccess: true };
  class Jobs {
    @SafeState({ ...opts, name: 'bench-keys-string', key: (x: number) => `user-${x}` })
    async strings(xs: number[]) {
      return loop(xs);
    }
    @SafeState({ ...opts, name: 'bench-keys-int', key: (x: number) => x })
    async ints(xs: number[]) {
      return loop(xs);
    }
    @SafeState({ ...opts, name: 'bench-keys-none' })
    async none(xs: number[]) {
      return loop(xs);
    }
  }
  const jobs = new Jobs();
  const list = Array.from({ length: items }, (_, i) => i + 1);
  const contenders = [
    { id: 'key-string', label: "key 'user-<n>'", name: 'bench-keys-string', run: () => jobs.strings(list) },
    { id: 'key-int', label: 'integer key', name: 'bench-keys-int', run: () => jobs.ints(list) },
    { id: 'no-key', label: 'no key', name: 'bench-keys-none', run: () => jobs.none(list) },
  ];
  const us = contenders.map(() => [] as number[]);
  const stats = contenders.map(() => ({ fullRewrites: 0, maxRewriteMs: 0, bytes: 0, checkpointBytes: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (let c = 0; c < contenders.length; c++) {
      const i = (c + r) % contenders.length;
      progress(`key jobs: round ${r + 1}/${rounds}, ${contenders[i].label}, ${items} items`);
      backend.reset();
      const t = await contenders[i].run();
      if (t.n !== items) throw new Error(`a key job saw ${t.n} of ${items} items`);
      us[i].push(((t.end - t.first) * 1000) / t.n);
      stats[i] = {
        fullRewrites: backend.fullRewrites - 1, // not the final keepOnSuccess rewrite
        maxRewriteMs: backend.maxRewriteMs,
        bytes: backend.bytes,
        checkpointBytes: fs.statSync(backend.location(contenders[i].name)).size,
      };
    }
  }
  const base = median(us[2]);
  return contenders.slice(0, 2).map((c, i) => ({
    id: c.id,
    label: c.label,
    items,
    rounds,
    perItemUs: median(us[i]),
    baselinePerItemUs: base,
    fullRewrites: stats[i].fullRewrites,
    maxRewriteMs: stats[i].maxRewriteMs,
    bytesWrittenPerItem: stats[i].bytes / items,
    checkpointBytes: stats[i].checkpointBytes,
  }));
}

/** One full rewrite of a checkpoint with `n` string keys, 'strict' and 'process'. */
export function measureCompaction(dir: string, n: number, reps: number, progress: (m: string) => void): KeyCompaction {
  progress(`compaction of ${n} string keys`);
  const doc = keyedDoc(Array.from({ length: n }, (_, i) => `user-${i + 1}`));
  const backend = new FileBackend({ dir });
  const strict: number[] = [];
  const proc: number[] = [];
  let bytes = 0;
  for (let r = 0; r < reps; r++) {
    // the engine's cost: encode the checkpoint and write it
    strict.push(timeMs(() => {
      const text = encodeFull(doc);
      bytes = Buffer.byteLength(text);
      backend.saveSync('bench-compaction', text, { durability: 'strict' });
    }));
    proc.push(timeMs(() => backend.saveSync('bench-compaction', encodeFull(doc), { durability: 'process' })));
  }
  fs.rmSync(backend.location('bench-compaction'), { force: true });
  // the engine's rule (progress-writer.ts), with the append record of one key at saveEvery 1
  const recordBytes = `k${JSON.stringify([`user-${n}`])} ${Date.now()}\n`.length;
  const recordsBetween = Math.round(Math.min(Math.max(COMPACT_RECORDS, bytes / COMPACT_BYTES_PER_RECORD), Math.max(COMPACT_BYTES, bytes) / recordBytes));
  return { keys: n, bytes, strictMs: median(strict), processMs: median(proc), recordsBetween, strictAmortizedUs: (median(strict) * 1000) / recordsBetween };
}

function fmt(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** The key storage part of the report, as text. */
export function formatKeyStorage(k: KeyStorageReport, table: (h: string[], rows: string[][], right: Set<number>) => string): string {
  const out: string[] = [];
  out.push(`key option: checkpoint size per million keys (key list of the snapshot), measured at ${k.shapes[0]?.keys ?? 0} keys`);
  out.push(
    table(
      ['keys', 'compact MB/M', 'JSON array MB/M', 'encode ms', 'decode ms'],
      k.shapes.map((s) => [s.label, fmt(s.compactMBPerMillion, 3), fmt(s.jsonMBPerMillion, 3), fmt(s.encodeMs, 1), fmt(s.decodeMs, 1)]),
      new Set([1, 2, 3, 4]),
    ),
  );
  out.push('');
  out.push("keyed jobs, FileBackend 'process', saveEvery 1, for..of (baseline: the same job without key)");
  out.push(
    table(
      ['job', 'items x rounds', 'per item µs', 'no key µs', 'rewrites', 'max rewrite ms', 'bytes/item', 'checkpoint bytes'],
      k.jobs.map((j) => [j.label, `${j.items} x ${j.rounds}`, fmt(j.perItemUs, 3), fmt(j.baselinePerItemUs, 3), String(j.fullRewrites), fmt(j.maxRewriteMs, 1), fmt(j.bytesWrittenPerItem, 1), String(j.checkpointBytes)]),
      new Set([2, 3, 4, 5, 6, 7]),
    ),
  );
  const c = k.compaction;
  out.push('');
  out.push(
    `compaction of ${c.keys} string keys (${c.bytes} bytes): 'strict' ${fmt(c.strictMs, 1)} ms, 'process' ${fmt(c.processMs, 1)} ms; ` +
      `one per ${c.recordsBetween} appended records, so ${fmt(c.strictAmortizedUs, 2)} µs per save amortized ('strict')`,
  );
  return out.join('\n');
}
