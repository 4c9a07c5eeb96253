import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh private temp directory, removed by the caller (or left for the OS). */
export function tempDir(prefix = 'safe-state-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Numbers 0..n-1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * argv prefix that runs a TypeScript file in ONE node process (`node --import tsx file.ts`).
 * The `tsx` binary forks a second process, so killing it would not kill the job: never use it
 * for crash tests.
 */
export const TS_NODE = [process.execPath, '--import', 'tsx'] as const;

/** mulberry32: a small seeded PRNG, so a failing random test replays from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
