/**
 * A write of a FileBackend record that the system cuts short (a file-size limit here; a full disk
 * does the same) never passes as done: the append throws, and the next load drops the torn record.
 * Real process under `ulimit -f` (Node ignores SIGXFSZ, so the write returns short, then EFBIG).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { FileBackend } from '../../lib/index';
import { childCommand, REPO_ROOT } from '../crash/crash-harness';
import { tempDir } from '../helpers';

const CHILD = path.join(REPO_ROOT, 'spec/fixtures/short-write-child.ts');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

it('a record whose write stops short (as many bytes as it has UTF-16 units) throws; the load drops it', async () => {
  const dir = tempDir('safe-state-short-');
  const cmd = [process.execPath, ...childCommand(CHILD), dir].map(quote).join(' ');
  const r = spawnSync('bash', ['-c', `ulimit -f 1; exec ${cmd}`], { encoding: 'utf8', env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') } });
  expect(r.stderr).toBe('');
  expect(r.stdout).toContain(`filled ${1024 - 30}\n`);
  expect(r.stdout).toMatch(/threw BACKEND_ERROR cannot append to .*EFBIG/);
  const backend = new FileBackend({ dir });
  try {
    const text = await backend.load('job');
    expect(text).toMatch(/^start\nf{900,}\n$/); // the filler stands, the torn record is gone
  } finally {
    await backend.close();
  }
}, 60_000);
