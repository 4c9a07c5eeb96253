import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers';

/**
 * scripts/test-servers.sh, the first half of `npm run test:all` (the README's test command, and
 * CI's): installs the database servers the test suite starts when they are missing, and only then.
 * apt-get and sudo are stand-ins here that record their calls (and "install" by creating the
 * programs), except in the first test, which runs the script against this machine as it is.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'test-servers.sh');
const OUT = tempDir('safe-state-test-servers-');
const BASH = fs.existsSync('/usr/bin/bash') ? '/usr/bin/bash' : '/bin/bash';

/** The programs the test setup runs (spec/setup/servers.ts), by package. */
const PROGRAMS: Record<string, string[]> = {
  'redis-server': ['redis-server'],
  'mariadb-server': ['mariadbd', 'mariadb-install-db', 'mariadb'],
  postgresql: ['initdb', 'pg_ctl', 'psql'],
  'util-linux': ['runuser'],
};

interface Setup {
  /** where the script looks for the servers (empty at first) */
  servers: string;
  /** the PATH of the run: stand-ins, and links to the few real tools the script and they use */
  bin: string;
  /** one line per call of a stand-in */
  log: string;
}

function executable(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o755 });
}

/** A fresh machine: no server programs; apt-get (when `apt`) installs the packages it is given. */
function freshMachine(name: string, opts: { apt: boolean; sudo: 'none' | 'passwordless' | 'password' }): Setup {
  const dir = path.join(OUT, name);
  const s: Setup = { servers: path.join(dir, 'servers'), bin: path.join(dir, 'bin'), log: path.join(dir, 'calls.log') };
  fs.mkdirSync(s.servers, { recursive: true });
  fs.mkdirSync(s.bin, { recursive: true });
  fs.writeFileSync(s.log, '');
  for (const tool of ['id', 'env', 'true', 'chmod']) {
    const real = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p))!;
    fs.symlinkSync(real, path.join(s.bin, tool));
  }
  if (opts.apt) {
    const programs = Object.entries(PROGRAMS).map(([pkg, bins]) => `${pkg}) for b in ${bins.join(' ')}; do printf '#!/bin/sh\\n' > "${s.servers}/$b"; chmod +x "${s.servers}/$b"; done ;;`).join('\n      ');
    executable(
      path.join(s.bin, 'apt-get'),
      `#!${BASH}\necho "apt-get $* (uid=\${FAKE_UID:-0} DEBIAN_FRONTEND=$DEBIAN_FRONTEND)" >> "${s.log}"\nif [ "$1" = install ]; then\n  for p in "$@"; do\n    case "$p" in\n      ${programs}\n    esac\n  done\nfi\n`,
    );
  }
  if (opts.sudo !== 'none') {
    const ok = opts.sudo === 'passwordless';
    executable(
      path.join(s.bin, 'sudo'),
      `#!${BASH}\necho "sudo $*" >> "${s.log}"\n[ "$1" = -n ] && shift\n${ok ? 'FAKE_UID=0 exec "$@"' : 'echo "sudo: a password is required" >&2; exit 1'}\n`,
    );
  }
  return s;
}

function run(s: Setup | null, uid?: number): { code: number | null; stdout: string; stderr: string; calls: string[] } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (s) {
    env.PATH = s.bin;
    env.SAFE_STATE_SERVERS_SEARCH = s.servers;
  }
  if (uid !== undefined) env.SAFE_STATE_SERVERS_UID = String(uid);
  const r = spawnSync(BASH, [SCRIPT], { env, encoding: 'utf8' });
  const calls = s ? fs.readFileSync(s.log, 'utf8').split('\n').filter(Boolean) : [];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

describe('scripts/test-servers.sh (npm run test:all)', () => {
  afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

  it('on this machine, where the servers are installed: changes nothing, calls no apt-get', () => {
    // apt-get and sudo stand-ins first in PATH: any call would be recorded
    const s = freshMachine('installed', { apt: true, sudo: 'passwordless' });
    const env = { ...process.env, PATH: `${s.bin}:${process.env.PATH ?? ''}` };
    const r = spawnSync(BASH, [SCRIPT], { env, encoding: 'utf8' });
    expect({ code: r.status, stderr: r.stderr, stdout: r.stdout.trim() }).toEqual({ code: 0, stderr: '', stdout: 'test servers: redis-server, mariadb-server and postgresql are installed' });
    expect(fs.readFileSync(s.log, 'utf8')).toBe('');
  });

  it('as root on a fresh Debian machine: installs the four packages with apt-get, then a second run installs nothing', () => {
    const s = freshMachine('root', { apt: true, sudo: 'none' });
    const first = run(s, 0);
    expect(first.code).toBe(0);
    expect(first.calls).toEqual([
      'apt-get update -qq (uid=0 DEBIAN_FRONTEND=noninteractive)',
      'apt-get install -y -qq --no-install-recommends redis-server mariadb-server postgresql util-linux (uid=0 DEBIAN_FRONTEND=noninteractive)',
    ]);
    expect(first.stdout).toContain('test servers: installed');
    const second = run(s, 0);
    expect(second.code).toBe(0);
    expect(second.calls).toHaveLength(2); // no new call
  });

  it('as a user with passwordless sudo: installs through sudo (runuser is only needed as root)', () => {
    const s = freshMachine('sudo', { apt: true, sudo: 'passwordless' });
    const r = run(s, 1000);
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([
      'sudo -n true',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
      'apt-get update -qq (uid=0 DEBIAN_FRONTEND=noninteractive)',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server mariadb-server postgresql',
      'apt-get install -y -qq --no-install-recommends redis-server mariadb-server postgresql (uid=0 DEBIAN_FRONTEND=noninteractive)',
    ]);
  });

  it('as a user without root or sudo: installs nothing and says what to run', () => {
    for (const sudo of ['none', 'password'] as const) {
      const s = freshMachine(`user-${sudo}`, { apt: true, sudo });
      fs.mkdirSync(path.join(s.servers), { recursive: true });
      fs.writeFileSync(path.join(s.servers, 'redis-server'), '#!/bin/sh\n', { mode: 0o755 }); // one of them is there
      const r = run(s, 1000);
      expect(r.code).toBe(1);
      expect(r.calls.filter((c) => c.startsWith('apt-get'))).toEqual([]);
      expect(r.stderr).toContain('test servers: missing mariadb-server postgresql, and installing them needs root. Run as root, or:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends mariadb-server postgresql\n');
    }
  });

  it('without apt-get: names the programs to install', () => {
    const s = freshMachine('no-apt', { apt: false, sudo: 'none' });
    const r = run(s, 0);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing redis-server mariadb-server postgresql util-linux');
    expect(r.stderr).toContain('Redis (redis-server), MariaDB (mariadbd, mariadb-install-db, mariadb) and PostgreSQL 15 (initdb, pg_ctl, psql)');
  });
});
