/**
 * The FileBackend checks a checkpoint file's size (fstat of the no-follow descriptor) before it
 * reads it: a file over `SAFE_STATE_MAX_CHECKPOINT_CHARS` is refused with CheckpointCorruptError
 * naming the limit, whatever it holds, and without reading it; something that is not a regular
 * file at the name is refused too, instead of being waited on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { safeState, FileBackend, CheckpointCorruptError, SERIALIZATION_LIMITS } from '../../lib/index';
import { runCli } from '../../lib/cli/run-cli';
import { SYNC_READ_MAX } from '../../lib/backends/file/bounded-read';
import { tempDir, TS_NODE } from '../helpers';

const REPO = path.resolve(__dirname, '../..');
const GiB = 1024 ** 3;

const saved = process.env.SAFE_STATE_MAX_CHECKPOINT_CHARS;
afterEach(() => {
  if (saved === undefined) delete process.env.SAFE_STATE_MAX_CHECKPOINT_CHARS;
  else process.env.SAFE_STATE_MAX_CHECKPOINT_CHARS = saved;
});

/** A job over a fresh state directory, and the path of its checkpoint file. */
function jobIn(name: string) {
  const backend = new FileBackend({ dir: path.join(tempDir(), 'state') });
  const ran: number[] = [];
  const job = safeState(async (xs: number[]) => {
    for (const x of xs) ran.push(x);
  }, { name, backend });
  fs.mkdirSync(backend.dir, { mode: 0o700 });
  return { job, backend, ran, file: backend.location(name) };
}

/** A sparse file of `size` bytes: a valid header, then nothing written (holes read as NUL). */
function sparse(file: string, name: string, size: number): void {
  fs.writeFileSync(file, `safestate-journal 1 ${JSON.stringify(name)}\n`, { mode: 0o600 });
  fs.truncateSync(file, size);
}

const SIZE_ERROR = /more than the limit of \d+ \(SERIALIZATION_LIMITS\.maxCheckpointChars; to load it anyway, set the environment variable SAFE_STATE_MAX_CHECKPOINT_CHARS/;

describe('a checkpoint file over the size limit is refused before it is read', () => {
  it('a 3 GiB sparse file: CheckpointCorruptError naming its size and the limit (reading it would fail: files over 2 GiB cannot be read whole)', async () => {
    const { job, ran, file } = jobIn('sparse-3g');
    sparse(file, 'sparse-3g', 3 * GiB);
    for (const err of [await job.peekCheckpoint().catch((e) => e), await job([0, 1, 2]).catch((e) => e)]) {
      expect(err).toBeInstanceOf(CheckpointCorruptError);
      expect(err.message).toContain(`${file}:1`);
      expect(err.message).toContain(`the checkpoint is ${3 * GiB} bytes long, more than the limit of ${SERIALIZATION_LIMITS.maxCheckpointChars}`);
      expect(err.message).toMatch(SIZE_ERROR);
    }
    expect(ran).toEqual([]);
    expect(fs.statSync(file).size).toBe(3 * GiB); // left as it was, for inspection
  });

  it('a file over a lowered limit whose content is not even a journal: the size error, not a parse or checksum error', async () => {
    process.env.SAFE_STATE_MAX_CHECKPOINT_CHARS = '1000';
    const { job, file } = jobIn('garbage');
    fs.writeFileSync(file, '\u00ff'.repeat(600), { mode: 0o600 }); // 1200 bytes, 600 characters, no header
    const err = await job.peekCheckpoint().catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointCorruptError);
    expect(err.message).toContain('the checkpoint is 1200 bytes long, more than the limit of 1000');
    // raised, the same file is read, and found to be no checkpoint
    process.env.SAFE_STATE_MAX_CHECKPOINT_CHARS = '5000';
    const again = await job.peekCheckpoint().catch((e) => e);
    expect(again).toBeInstanceOf(CheckpointCorruptError);
    expect(again.message).toMatch(/the header line is incomplete/);
  });

  it('a file within the limit still loads (the check counts the whole file, header and checksums included)', async () => {
    const { job, ran, backend } = jobIn('fits');
    const failing = safeState(async (xs: number[]) => {
      for (const x of xs) if (x === 3) throw new Error('boom');
    }, { name: 'fits', backend });
    await expect(failing([0, 1, 2, 3, 4])).rejects.toThrow('boom');
    process.env.SAFE_STATE_MAX_CHECKPOINT_CHARS = String(fs.statSync(backend.location('fits')).size);
    await job([0, 1, 2, 3, 4]);
    expect(ran).toEqual([3, 4]);
  });

  it('safe-state list reports the oversized file as unreadable with the size error', async () => {
    const { backend, file } = jobIn('listed');
    sparse(file, 'listed', 3 * GiB);
    let out = '';
    const code = await runCli(['list', '--json', '--dir', backend.dir], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => undefined },
      now: () => new Date(),
    });
    expect(code).toBe(3);
    expect(out).toContain(`the checkpoint is ${3 * GiB} bytes long`);
  });
});

describe('something other than a regular file at the checkpoint name', () => {
  it('a FIFO is refused with CheckpointCorruptError at once (it used to wait for a writer forever)', () => {
    // a child process: the open of a FIFO blocked a thread of the pool, no timer could end it
    const { backend, file } = jobIn('fifo');
    const r0 = spawnSync('mkfifo', ['-m', '600', file]);
    expect(r0.status).toBe(0);
    const script = `
      const { safeState, FileBackend } = require(${JSON.stringify(path.join(REPO, 'lib/index'))});
      const backend = new FileBackend({ dir: ${JSON.stringify(backend.dir)} });
      safeState(async (xs) => { for (const x of xs) void x; }, { name: 'fifo', backend }).peekCheckpoint()
        .then(() => console.log(JSON.stringify({ loaded: true })), (e) => console.log(JSON.stringify({ name: e.name, message: e.message })));
    `;
    const r = spawnSync(TS_NODE[0], [...TS_NODE.slice(1), '-e', script], { encoding: 'utf8', cwd: REPO, timeout: 30_000 });
    expect(r.signal).toBeNull(); // not killed by the timeout
    const out = JSON.parse(r.stdout.trim()) as { name: string; message: string };
    expect(out.name).toBe('CheckpointCorruptError');
    expect(out.message).toContain(`${file} is not a regular file`);
  }, 60_000);
});

describe('reading a checkpoint', () => {
  it.each([
    ['read synchronously (up to SYNC_READ_MAX bytes)', 1_000],
    ['read without blocking the event loop (larger than SYNC_READ_MAX)', SYNC_READ_MAX + 12_345],
  ])('gives back exactly what was saved, multi-byte text included: %s', async (_what, size) => {
    const backend = new FileBackend({ dir: path.join(tempDir(), 'state') });
    const text = 'é✓'.repeat(Math.ceil(size / 5)) + '\n'; // 5 bytes per repeat
    await backend.save('big', text);
    const file = backend.location('big')!;
    expect(fs.statSync(file).size > SYNC_READ_MAX).toBe(size > SYNC_READ_MAX);
    expect(await backend.load('big')).toBe(text);
  });
});
