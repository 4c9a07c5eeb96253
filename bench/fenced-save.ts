/**
 * What fencing costs a save on MariaDB and PostgreSQL (issue 13): a save of a run that holds the
 * job's lock is one upsert that also checks, with a locking read, that the job's lock row is still
 * the run's (`fencedUpsert`); before, it was a plain upsert. Both are one autocommit statement and
 * one round trip.
 *
 * Per database, one `SqlBackend` on one connection (mysql2 connection, pg `Client`); job `fenced`
 * is locked through it (its saves are fenced), job `plain` is not (its saves are the plain upsert,
 * as every save was before); both go through the same connection. Interleaved rounds (rotated
 * order) of `saves` saves of a ~200-byte checkpoint each; reported: the median µs per save of each,
 * and the median of the per-round ratios.
 *
 * Usage: `tsx bench/fenced-save.ts [saves] [rounds]` (servers from SAFE_STATE_BENCH_*_URL, else
 * throwaway ones). Prints `uptime` first: on a loaded machine only the ratio means something.
 *
 * One run (2026-12-06, `load average: 26.81, 28.56, 25.67` on the shared 2-core VM, 200 saves, 9
 * rounds; every save waits for the server's fsync, which that load makes slow):
 *
 * | database | plain upsert µs/save (before) | fenced upsert µs/save (now) | ratio fenced / plain |
 * | --- | ---: | ---: | ---: |
 * | MariaDB (mysql2 connection) | 6283 | 6920 | 1.13 |
 * | PostgreSQL (pg Client) | 7283 | 7239 | 1.03 |
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqlBackend } from '../lib/index';
import { serversFor } from './bench-servers';
import { median, rotation } from './stats';
import { runStandalone } from './run-standalone';

const HOLDER = { pid: process.pid, host: os.hostname(), since: Date.now(), startTime: null };

/** µs per save of `saves` saves of `job`. */
async function loop(backend: SqlBackend, job: string, saves: number): Promise<number> {
  const text = 'x'.repeat(200) + '\n';
  const t0 = performance.now();
  for (let i = 0; i < saves; i++) await backend.save(job, text + i);
  return ((performance.now() - t0) * 1000) / saves;
}

async function main(): Promise<void> {
  const saves = Number(process.argv[2] ?? 200);
  const rounds = Number(process.argv[3] ?? 7);
  process.stdout.write(`uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}\n`);
  process.stdout.write(`${saves} saves per round, ${rounds} interleaved rounds, medians\n\n`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-state-bench-fence-'));
  const servers = await serversFor(root);
  const opened: { label: string; backend: SqlBackend; close(): Promise<unknown> }[] = [];
  try {
    if (servers.mysql.url) {
      const mysql = require('mysql2') as typeof import('mysql2');
      const c = mysql.createConnection(servers.mysql.url);
      opened.push({ label: 'MariaDB (mysql2 connection)', backend: new SqlBackend(c, { table: 'bench_fence' }), close: () => new Promise((r) => c.end(() => r(undefined))) });
    }
    if (servers.postgres.url) {
      const { Client } = require('pg') as typeof import('pg');
      const c = new Client({ connectionString: servers.postgres.url });
      await c.connect();
      opened.push({ label: 'PostgreSQL (pg Client)', backend: new SqlBackend(c, { table: 'bench_fence' }), close: () => c.end() });
    }
    const rows: string[] = [];
    for (const o of opened) {
      const lock = await o.backend.lock('fenced', HOLDER);
      try {
        await loop(o.backend, 'plain', 20); // warm-up: table, prepared statements
        await loop(o.backend, 'fenced', 20);
        const plain: number[] = [];
        const fenced: number[] = [];
        const ratios: number[] = [];
        for (let r = 0; r < rounds; r++) {
          let p = 0;
          let f = 0;
          for (const i of rotation(2, r)) {
            if (i === 0) p = await loop(o.backend, 'plain', saves);
            else f = await loop(o.backend, 'fenced', saves);
          }
          plain.push(p);
          fenced.push(f);
          ratios.push(f / p);
        }
        rows.push(`| ${o.label} | ${median(plain).toFixed(0)} | ${median(fenced).toFixed(0)} | ${median(ratios).toFixed(2)} |`);
      } finally {
        await o.backend.delete('fenced');
        await lock.release();
        await o.backend.delete('plain');
      }
    }
    process.stdout.write('| database | plain upsert µs/save (before) | fenced upsert µs/save (now) | ratio fenced / plain |\n| --- | ---: | ---: | ---: |\n');
    process.stdout.write(rows.join('\n') + '\n');
  } finally {
    for (const o of opened) await o.close().catch(() => undefined);
    servers.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

runStandalone(main);
