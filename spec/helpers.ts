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
