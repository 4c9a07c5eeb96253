import { createHash, randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { processStartTime } from '../backends/lock';

/**
 * Ids of two-phase transactions. Each id says who coordinates it and where its decision is
 * logged, so that recovery can tell a crashed coordinator's leftovers from a live one's work:
 *
 * ```
 * ss2pc-<host:6 hex><log:6 hex>-<pid base36>-<process start base36 | x>-<random:8>     transaction id
 * ss2pc-...-<n>                                                                          branch n (participant #n)
 * ```
 * `host` is a hash of the coordinator's host name, `log` a hash of its decision log's id, `pid` and
 * the process start time (Linux clock ticks since boot; `x` where the platform does not tell)
 * identify the coordinator process. At most ~50 characters: within MySQL's 64-byte XA gtrid
 * and PostgreSQL's 200-byte GID, and only `[a-z0-9-]`, so ids can be written into SQL literally.
 * @internal
 */
export const XID_PREFIX = 'ss2pc-';

const TX_RE = /^ss2pc-([0-9a-f]{6})([0-9a-f]{6})-([0-9a-z]+)-([0-9a-z]+|x)-([0-9a-z]{8})$/;
const BRANCH_RE = /^(ss2pc-[0-9a-f]{12}-[0-9a-z]+-(?:[0-9a-z]+|x)-[0-9a-z]{8})-(\d{1,4})$/;

/** @internal */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}

/** Hash of this host's name, as ids carry it. @internal */
export function hostTag(): string {
  return shortHash(os.hostname());
}

let ownStart: number | null | undefined;

/** A fresh transaction id for a coordinator in this process logging to `logId`. @internal */
export function newTransactionId(logId: string): string {
  if (ownStart === undefined) ownStart = processStartTime(process.pid);
  const rand = randomBytes(6).readUIntBE(0, 6).toString(36).padStart(8, '0').slice(-8);
  return `${XID_PREFIX}${hostTag()}${shortHash(logId)}-${process.pid.toString(36)}-${ownStart == null ? 'x' : ownStart.toString(36)}-${rand}`;
}

/** The id of participant `index`'s branch. @internal */
export function branchId(txId: string, index: number): string {
  return `${txId}-${index}`;
}

/** What a transaction id says about its coordinator. @internal */
export interface ParsedTransactionId {
  txId: string;
  hostTag: string;
  logTag: string;
  pid: number;
  startTime: number | null;
}

/** Parses a branch id; `null` when it is not one of ours. @internal */
export function parseBranchId(id: string): (ParsedTransactionId & { index: number }) | null {
  const b = BRANCH_RE.exec(id);
  if (!b) return null;
  const t = TX_RE.exec(b[1]!);
  if (!t) return null;
  return {
    txId: b[1]!,
    index: Number(b[2]),
    hostTag: t[1]!,
    logTag: t[2]!,
    pid: parseInt(t[3]!, 36),
    startTime: t[4] === 'x' ? null : parseInt(t[4]!, 36),
  };
}

/** Parses a transaction id; `null` when it is not one of ours. @internal */
export function parseTransactionId(id: string): ParsedTransactionId | null {
  const t = TX_RE.exec(id);
  if (!t) return null;
  return { txId: id, hostTag: t[1]!, logTag: t[2]!, pid: parseInt(t[3]!, 36), startTime: t[4] === 'x' ? null : parseInt(t[4]!, 36) };
}

/** Whether an id parsed from a branch belongs to this very process. @internal */
export function isOwnProcess(p: ParsedTransactionId): boolean {
  if (ownStart === undefined) ownStart = processStartTime(process.pid);
  return p.hostTag === hostTag() && p.pid === process.pid && p.startTime === ownStart;
}

/** A SQL string literal of an id (ids only hold `[a-z0-9-]`; anything else is refused). @internal */
export function xidLiteral(id: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new TypeError(`invalid transaction id ${JSON.stringify(id)}`);
  return `'${id}'`;
}
