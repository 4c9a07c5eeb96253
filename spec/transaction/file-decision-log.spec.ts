/**
 * The default FileDecisionLog and the default idempotency store follow the default state directory
 * (SAFE_STATE_DIR), and the decision log's directory and files get the FileBackend's protections:
 * created 0700 with a `.gitignore`, unsafe directories refused, no symbolic link followed, a
 * directory that cannot be made a BackendError (never a hang).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BackendError, FileBackend, FileDecisionLog, IdempotencyCache } from '../../lib/index';
import { decisionLogOf } from '../../lib/transaction/options';
import { tempDir, TS_NODE } from '../helpers';

const REPO = path.resolve(__dirname, '../..');
const mode = (p: string) => fs.lstatSync(p).mode & 0o777;
const TX = 'ss2pc-abc123-1';
const DECISION = { txId: TX, branches: ['b1', 'b2'], servers: [null, null], at: '2026-12-06T00:00:00.000Z' };

const savedEnv = process.env.SAFE_STATE_DIR;
const savedCwd = process.cwd();
afterEach(() => {
  if (savedEnv === undefined) delete process.env.SAFE_STATE_DIR;
  else process.env.SAFE_STATE_DIR = savedEnv;
  process.chdir(savedCwd);
});

const VICTIM_TEXT = 'precious data, not a decision\n';
function victim(): { file: string; unchanged(): void } {
  const file = path.join(tempDir('safe-state-victim-'), 'victim.txt');
  fs.writeFileSync(file, VICTIM_TEXT, { mode: 0o644 });
  return { file, unchanged: () => expect(fs.readFileSync(file, 'utf8')).toBe(VICTIM_TEXT) };
}

describe('SAFE_STATE_DIR moves the default decision log and the default idempotency store', () => {
  it('new FileDecisionLog() is `transactions` in SAFE_STATE_DIR, read when it is made', async () => {
    const root = tempDir();
    process.env.SAFE_STATE_DIR = path.join(root, 'state');
    const log = new FileDecisionLog();
    expect(log.dir).toBe(path.join(fs.realpathSync(root), 'state', 'transactions'));
    await log.record(DECISION);
    expect(await log.lookup(TX)).toMatchObject({ txId: TX, branches: ['b1', 'b2'] });
    // the state directory it made is made as a FileBackend makes it: 0700 with a .gitignore of `*`
    for (const d of [path.join(root, 'state'), log.dir]) {
      expect(mode(d)).toBe(0o700);
      expect(fs.readFileSync(path.join(d, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    }
    expect(mode(path.join(log.dir, `${TX}.commit`))).toBe(0o600);
  });

  it('the default log of transaction options follows SAFE_STATE_DIR changes (one log per directory)', () => {
    const root = tempDir();
    process.env.SAFE_STATE_DIR = path.join(root, 'a');
    const a = decisionLogOf(undefined);
    process.env.SAFE_STATE_DIR = path.join(root, 'b');
    const b = decisionLogOf(undefined);
    expect(a.id).toBe(`file:${path.join(fs.realpathSync(root), 'a', 'transactions')}`);
    expect(b.id).toBe(`file:${path.join(fs.realpathSync(root), 'b', 'transactions')}`);
    expect(decisionLogOf(undefined)).toBe(b);
  });

  it('without SAFE_STATE_DIR the default stays .safe_state/transactions of the working directory', () => {
    const cwd = tempDir();
    delete process.env.SAFE_STATE_DIR;
    process.chdir(cwd);
    expect(new FileDecisionLog().dir).toBe(path.join(fs.realpathSync(cwd), '.safe_state', 'transactions'));
  });

  it('new IdempotencyCache() keeps its keys in SAFE_STATE_DIR', async () => {
    const root = tempDir();
    process.env.SAFE_STATE_DIR = path.join(root, 'idem-state');
    const cache = new IdempotencyCache({ name: 'env-dir' });
    expect(cache.backend).toBeInstanceOf(FileBackend);
    expect((cache.backend as FileBackend).dir).toBe(path.join(root, 'idem-state'));
    await cache.mark('k1');
    await cache.close();
    expect(fs.readdirSync(path.join(root, 'idem-state')).some((f) => f.endsWith('.safestate'))).toBe(true);
  });
});

describe('FileDecisionLog directory', () => {
  it('refuses a directory others can write to, with BackendError and the fix', () => {
    const dir = path.join(tempDir(), 'tx');
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    const err = (() => {
      try {
        new FileDecisionLog(dir);
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(BackendError);
    expect(err!.message).toContain(`chmod 700 ${dir}`);
  });

  it('refuses a symbolic link as its directory', () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'real'), { mode: 0o700 });
    fs.symlinkSync(path.join(root, 'real'), path.join(root, 'tx'));
    expect(() => new FileDecisionLog(path.join(root, 'tx'))).toThrow(BackendError);
  });

  it('a directory that cannot be made under /proc fails at once with BackendError (it used to hang)', () => {
    // a child process: the hang was a synchronous loop (Node's recursive mkdir), no timer could end it
    const dir = '/proc/safe-state-test/tx';
    const script = `
      const { FileDecisionLog } = require(${JSON.stringify(path.join(REPO, 'lib/index'))});
      try { new FileDecisionLog(${JSON.stringify(dir)}); console.log(JSON.stringify({ made: true })); }
      catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }
    `;
    const r = spawnSync(TS_NODE[0], [...TS_NODE.slice(1), '-e', script], { encoding: 'utf8', cwd: REPO, timeout: 30_000 });
    expect(r.signal).toBeNull(); // not killed by the timeout
    const out = JSON.parse(r.stdout.trim()) as { name: string; message: string };
    expect(out.name).toBe('BackendError');
    expect(out.message).toContain(dir);
  }, 60_000);
});

describe('FileDecisionLog never follows a planted symbolic link', () => {
  it('at <txId>.tmp: record writes a new file, the link target is untouched', async () => {
    const log = new FileDecisionLog(path.join(tempDir(), 'tx'));
    const v = victim();
    fs.symlinkSync(v.file, path.join(log.dir, `${TX}.tmp`));
    await log.record(DECISION);
    v.unchanged();
    expect(fs.lstatSync(path.join(log.dir, `${TX}.commit`)).isFile()).toBe(true);
    expect(await log.lookup(TX)).toMatchObject({ txId: TX });
  });

  it('at <txId>.commit: markDone does not append to the target, lookup refuses with BackendError', async () => {
    const log = new FileDecisionLog(path.join(tempDir(), 'tx'));
    const v = victim();
    fs.symlinkSync(v.file, path.join(log.dir, `${TX}.commit`));
    await log.markDone(TX, 'b1');
    v.unchanged();
    await expect(log.lookup(TX)).rejects.toThrow(BackendError);
  });

  it('markDone of an unknown transaction creates no file', async () => {
    const log = new FileDecisionLog(path.join(tempDir(), 'tx'));
    await log.markDone(TX, 'b1');
    expect(fs.readdirSync(log.dir).filter((f) => f !== '.gitignore')).toEqual([]);
  });
});
