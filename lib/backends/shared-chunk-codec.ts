import { randomBytes } from 'node:crypto';
import type { FailureInfo } from '../state/checkpoint-doc';

/* Small helpers the chunk stores of the backends share (see shared-chunks.ts). */

/** Parses a fingerprint stored as JSON (an unreadable one reads as none). @internal */
export function parseFingerprint(v: unknown): string[] {
  try {
    const a = JSON.parse(String(v ?? '[]')) as unknown;
    return Array.isArray(a) ? a.map((x) => String(x)) : [];
  } catch {
    return [];
  }
}

/** Parses a stored failure (an unreadable one reads as none). @internal */
export function parseFailure(v: unknown): FailureInfo | null {
  if (v == null || v === false) return null;
  try {
    return JSON.parse(String(v)) as FailureInfo;
  } catch {
    return null;
  }
}

/** A fresh lease token. @internal */
export function newToken(): string {
  return randomBytes(12).toString('hex');
}

