import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoopTiming } from './loop-timing';

/**
 * The physical baselines the engine is compared with, measured in the same process, in the same
 * directory, interleaved with the jobs.
 */

/** A line of `bytes` bytes ending in `\n` (a journal progress record is about 28–30 bytes). */
function line(bytes: number): string {
  return 'x'.repeat(bytes - 1) + '\n';
}

let files = 0;

function withAppendFile(dir: string, fn: (fd: number) => number): number {
  const file = path.join(dir, `baseline-${process.pid}-${files++}.log`);
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    return fn(fd);
  } finally {
    fs.closeSync(fd);
    fs.unlinkSync(file);
  }
}

/**
 * µs per operation of `fs.writeSync` of a small line appended to a fresh file, then
 * `fs.fdatasyncSync`: the floor of a durable (`'strict'`) per-item save on this disk.
 */
export function writeFdatasyncUs(dir: string, count: number, bytes = 30): number {
  const text = line(bytes);
  return withAppendFile(dir, (fd) => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      fs.writeSync(fd, text);
      fs.fdatasyncSync(fd);
    }
    return ((performance.now() - t0) * 1000) / count;
  });
}

/**
 * µs per operation of a plain `fs.writeSync` of a small line appended to a file: the floor of a
 * `'process'`-durability per-item save.
 */
export function writeUs(dir: string, count: number, bytes = 30): number {
  const text = line(bytes);
  return withAppendFile(dir, (fd) => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) fs.writeSync(fd, text);
    return ((performance.now() - t0) * 1000) / count;
  });
}

/**
 * µs per item of the same `fs.writeSync` inside a plain `for await` over the items: the floor of a
 * `'process'`-durability per-item save in a `for await` job (the loop's own promise per step costs
 * about a microsecond more once a system call sits between two steps: the caches it cools).
 */
export async function writeForAwaitUs(dir: string, items: number[], bytes = 30): Promise<number> {
  const text = line(bytes);
  const file = path.join(dir, `baseline-${process.pid}-${files++}.log`);
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    const t0 = performance.now();
    for await (const x of items) if (x >= 0) fs.writeSync(fd, text);
    return ((performance.now() - t0) * 1000) / items.length;
  } finally {
    fs.closeSync(fd);
    fs.unlinkSync(file);
  }
}

/**
 * The undecorated loop: the same body as the MemoryBackend job in jobs.ts (kept as a separate
 * function on purpose, so that V8's feedback for this `for..of` stays the plain array's).
 */
export async function plainSum(items: number[]): Promise<LoopTiming> {
  let sum = 0;
  let n = 0;
  let first = 0;
  for (const x of items) {
    if (n++ === 0) first = performance.now();
    sum += x;
  }
  const end = performance.now();
  return { first, end, n, sum };
}
