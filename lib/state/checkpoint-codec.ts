import { IndexProgress } from '../progress/index-progress';
import { KeyProgress } from '../progress/key-progress';
import type { CheckpointDoc, FailureInfo } from './checkpoint-doc';
import { parseRangePairs } from '../progress/ranges';
import { checkCheckpointSize, checkValueSize } from './limits';
import { FailedRecord, type FailedJson } from './failed-items';

/**
 * The checkpoint text format shared by the engine and the CLI (docs/format.md): lines, the first a
 * JSON snapshot, the rest small records applied in order:
 * - `+<ranges> <ms>`: indices completed (e.g. `+41` or `+40-49`), at time `<ms>`
 * - `k<json keys> <ms>`: item keys completed (the `key` option)
 * - `s<text>`: the state from `checkpoint()`, serialized
 * - `r<json [key, text]>`: a stored result
 * - `f<index> <hash>`: the fingerprint hash of an input item (see fingerprint.ts)
 * @internal
 */
export const FORMAT_VERSION = 3;

/**
 * Version 2 added `kn` (integer keys as ranges) to the snapshot of jobs with the `key` option. A
 * writer uses the lowest version that holds its snapshot: 1 without `key`, 2 with it, so
 * checkpoints of jobs without `key` stay readable by older versions.
 */
const KEYED_FORMAT_VERSION = 2;
/**
 * Version 3 added `failed` (items that failed with `onItemError: 'skip'`): they are marked done in
 * the progress record while the call that failed them goes on, so a reader that does not know
 * `failed` would take them for done. Only a snapshot that has failed items is written as version 3.
 */
const FAILED_FORMAT_VERSION = 3;

/** A damaged or unreadable checkpoint text; `line` is 1-based. @internal */
export class CodecError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

interface Snapshot {
  safestate: number;
  job: string;
  total: number | null;
  fp: string[];
  runs: number;
  complete: boolean;
  created: number;
  updated: number;
  w: number;
  s: string;
  keys?: readonly (string | number)[];
  kn?: string;
  failure: FailureInfo | null;
  state: string | null;
  frozen: string | null;
  failed?: FailedJson;
}

/** One-line snapshot of everything but the results. @internal */
export function encodeSnapshot(doc: CheckpointDoc): string {
  const p = doc.progress.toJSON();
  const snap: Snapshot = {
    safestate: doc.keys ? KEYED_FORMAT_VERSION : 1, job: doc.jobName, total: doc.totalItems, fp: doc.fingerprint, runs: doc.runCount,
    complete: doc.complete, created: doc.createdAt, updated: doc.updatedAt, w: p.w, s: p.s,
    failure: doc.lastFailure, state: doc.state, frozen: doc.frozenState,
  };
  if (doc.keys) {
    const k = doc.keys.toSnapshot();
    snap.kn = k.kn;
    snap.keys = k.keys;
  }
  if (doc.failed !== null && doc.failed.count > 0) {
    snap.safestate = FAILED_FORMAT_VERSION;
    snap.failed = doc.failed.toJSON();
  }
  return JSON.stringify(snap) + '\n';
}

/** @internal */
export function encodeResult(key: string, text: string): string {
  return 'r' + JSON.stringify([key, text]) + '\n';
}

/** The whole checkpoint as text: a snapshot plus every stored result. @internal */
export function encodeFull(doc: CheckpointDoc): string {
  let out = encodeSnapshot(doc);
  for (const [k, v] of doc.results) out += encodeResult(k, v);
  return out;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStrOrNull = (v: unknown) => v === null || typeof v === 'string';

function checkFailure(f: unknown): f is FailureInfo | null {
  if (f === null) return true;
  if (typeof f !== 'object') return false;
  const o = f as Record<string, unknown>;
  return (o.index === null || isInt(o.index)) && typeof o.name === 'string' && typeof o.message === 'string' && isStrOrNull(o.stack) && typeof o.at === 'string' &&
    (o.tries === undefined || isInt(o.tries)) && (o.retrying === undefined || typeof o.retrying === 'boolean') &&
    (o.key === undefined || typeof o.key === 'string' || (typeof o.key === 'number' && Number.isFinite(o.key)));
}

function decodeSnapshot(line: string): CheckpointDoc {
  let s: Snapshot;
  try {
    s = JSON.parse(line) as Snapshot;
  } catch {
    throw new CodecError(1, 'the snapshot record is not valid JSON');
  }
  if (typeof s !== 'object' || s === null || !isInt(s.safestate)) throw new CodecError(1, 'the snapshot record has no format version');
  if (s.safestate > FORMAT_VERSION) {
    throw new CodecError(1, `written by a newer safe-state (checkpoint format ${s.safestate}; this version reads up to ${FORMAT_VERSION}): upgrade safe-state to resume it`);
  }
  const ok =
    typeof s.job === 'string' && (s.total === null || isInt(s.total)) && Array.isArray(s.fp) && s.fp.every((h) => h === null || typeof h === 'string') &&
    isInt(s.runs) && typeof s.complete === 'boolean' && isInt(s.created) && isInt(s.updated) && isInt(s.w) && typeof s.s === 'string' &&
    checkFailure(s.failure) && isStrOrNull(s.state) && isStrOrNull(s.frozen) && (s.keys === undefined || Array.isArray(s.keys)) &&
    (s.kn === undefined || (typeof s.kn === 'string' && s.keys !== undefined));
  if (!ok) throw new CodecError(1, 'the snapshot record has missing or mistyped fields');
  if (s.fp.length > MAX_FINGERPRINTS) throw new CodecError(1, `the snapshot lists ${s.fp.length} input fingerprints (at most ${MAX_FINGERPRINTS})`);
  checkStoredSize(s.state, 'state', 1);
  checkStoredSize(s.frozen, 'frozen fields', 1);
  const progress = new IndexProgress();
  try {
    progress.loadSnapshot(s.w, s.s);
  } catch (e) {
    throw new CodecError(1, `done items: ${(e as Error).message}`);
  }
  let keys: KeyProgress | null = null;
  if (s.keys) {
    keys = new KeyProgress();
    keys.beginLoad();
    try {
      keys.addAll(s.keys);
      if (s.kn) keys.applyRanges(s.kn);
    } catch (e) {
      throw new CodecError(1, `done keys: ${(e as Error).message}`);
    }
  }
  let failed: FailedRecord | null = null;
  if (s.failed !== undefined) {
    try {
      failed = FailedRecord.fromJSON(s.failed, keys !== null);
    } catch (e) {
      throw new CodecError(1, `failed items: ${(e as Error).message}`);
    }
  }
  return {
    jobName: s.job, totalItems: s.total, fingerprint: s.fp, runCount: s.runs, complete: s.complete, createdAt: s.created,
    updatedAt: s.updated, progress, keys, lastFailure: s.failure, state: s.state, frozenState: s.frozen, results: new Map(), failed,
  };
}

/** Fingerprint slots a checkpoint may hold (the engine writes at most 16; see fingerprint.ts). */
const MAX_FINGERPRINTS = 1024;

/** A stored user value longer than the value limit is refused before anything parses it. */
function checkStoredSize(text: string | null, what: string, line: number): void {
  if (text === null) return;
  try {
    checkValueSize(text);
  } catch (e) {
    throw new CodecError(line, `${what}: ${(e as Error).message}`);
  }
}

function stampOf(rest: string, line: number): [string, number] {
  const sp = rest.lastIndexOf(' ');
  const t = Number(rest.slice(sp + 1));
  if (sp < 0 || !isInt(t)) throw new CodecError(line, 'a progress record has no time stamp');
  return [rest.slice(0, sp), t];
}

/**
 * Parses checkpoint text into a document; throws {@link CodecError} on anything malformed.
 * @internal
 */
export function decodeCheckpoint(text: string): CheckpointDoc {
  try {
    checkCheckpointSize(text);
  } catch (e) {
    throw new CodecError(1, (e as Error).message);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new CodecError(1, 'the checkpoint is empty');
  const doc = decodeSnapshot(lines[0]);
  // progress records are gathered and joined once at the end: O(r log r) for r ranges in all
  const done: number[] = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n];
    const rest = line.slice(1);
    try {
      switch (line[0]) {
        case '+': {
          const [ranges, t] = stampOf(rest, n + 1);
          for (const v of parseRangePairs(ranges, false)) done.push(v);
          doc.updatedAt = t;
          break;
        }
        case 'k': {
          const [keys, t] = stampOf(rest, n + 1);
          if (!doc.keys) throw new Error('a key record in a job without keys');
          doc.keys.applyKeys(keys);
          doc.updatedAt = t;
          break;
        }
        case 's':
          checkStoredSize(rest, 'state', n + 1);
          doc.state = rest;
          break;
        case 'f': {
          const m = /^(\d+) ([0-9a-f]+)$/.exec(rest);
          if (!m || Number(m[1]) >= MAX_FINGERPRINTS) throw new Error('malformed fingerprint record');
          doc.fingerprint[Number(m[1])] = m[2];
          break;
        }
        case 'r': {
          const pair = JSON.parse(rest) as unknown;
          if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') throw new Error('malformed result record');
          let key: unknown;
          try {
            key = JSON.parse(pair[0]);
          } catch {
            key = undefined;
          }
          if (typeof key !== 'string' && !(typeof key === 'number' && Number.isFinite(key))) throw new Error('malformed result record (its key is not a JSON string or number)');
          checkStoredSize(pair[1], `result ${pair[0].length > 40 ? pair[0].slice(0, 40) + '…' : pair[0]}`, n + 1);
          doc.results.set(pair[0], pair[1]);
          break;
        }
        default:
          throw new Error(`unknown record type ${JSON.stringify(line.slice(0, 1))}`);
      }
    } catch (e) {
      if (e instanceof CodecError) throw e;
      throw new CodecError(n + 1, (e as Error).message);
    }
  }
  doc.progress.addLoaded(done);
  doc.keys?.endLoad();
  if (!doc.keys && doc.totalItems !== null && doc.progress.size > doc.totalItems) {
    throw new CodecError(1, `${doc.progress.size} items are marked done, but the input has only ${doc.totalItems}`);
  }
  return doc;
}
