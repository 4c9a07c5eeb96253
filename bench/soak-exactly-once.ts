/**
 * The exactly-once rows of `npm run soak`: bench/exactly-once-soak.ts (a job whose items are
 * transactions on the database that also holds its checkpoint, SPEC §8) on SQLite, MariaDB and
 * PostgreSQL, with the soak's `--kills`, its own item count (`--eo-items`), servers from
 * bench/soak-servers.ts, and the child bundled (bench/soak-bundle.ts). Its checks are
 * runExactlyOnceSoak's own: after every kill the checkpoint counts as done exactly the items whose
 * effect row committed, and at each job's end every item has exactly one effect row (repeats 0,
 * missing 0).
 *
 * Not here: Redis and File (no SQL transaction to share: delivery on them is at-least-once, soaked
 * by bench/soak.ts itself).
 */
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { runExactlyOnceSoak, type ExactlyOnceSummary } from './exactly-once-soak';
import type { SoakDialect } from './exactly-once-db';
import { soakChildCommand } from './soak-bundle';
import type { ServerKind } from './soak-servers';

export interface ExactlyOnceTarget {
  /** `--backends` id */
  id: string;
  label: string;
  dialect: SoakDialect;
  server: ServerKind | null;
  driver: string;
}

export const EXACTLY_ONCE_TARGETS: ExactlyOnceTarget[] = [
  { id: 'eo-sqlite', label: 'SQLite', dialect: 'sqlite', server: null, driver: 'better-sqlite3' },
  { id: 'eo-mariadb', label: 'MariaDB', dialect: 'mysql', server: 'mysql', driver: 'mysql2' },
  { id: 'eo-postgres', label: 'PostgreSQL', dialect: 'postgres', server: 'postgres', driver: 'pg' },
];

/** One exactly-once row of the soak's summary. */
export interface ExactlyOnceRow extends ExactlyOnceSummary {
  id: string;
  label: string;
  itemsPerJob: number;
  durationMs: number;
}

const CHILD = path.join(__dirname, 'exactly-once-child.ts');

/** Why the target's driver is missing, or null. */
export function exactlyOnceUnavailable(t: ExactlyOnceTarget): string | null {
  try {
    require.resolve(t.driver);
    return null;
  } catch {
    return `the ${t.driver} package is not installed (npm install ${t.driver})`;
  }
}

/**
 * Runs the exactly-once soak on one database: `where` is the server URL, or null for SQLite (a file
 * in `scratch`). `log` gets a line every 25 kills (every kill with `verbose`).
 */
export async function soakExactlyOnce(
  t: ExactlyOnceTarget,
  o: { where: string | null; scratch: string; kills: number; items: number; seed: number; verbose: boolean; log: (line: string) => void },
): Promise<ExactlyOnceRow> {
  const t0 = Date.now();
  const token = createHash('sha256').update(path.resolve(o.scratch)).digest('hex').slice(0, 8);
  let kills = 0;
  const s = await runExactlyOnceSoak({
    dialect: t.dialect,
    where: o.where ?? path.join(o.scratch, 'exactly-once.db'),
    kills: o.kills,
    items: o.items,
    seed: (o.seed ^ [...t.id].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7)) >>> 0,
    prefix: `soak_eo_${token}_${t.dialect}`,
    childArgs: soakChildCommand(CHILD),
    log: (line) => {
      if (/killed at/.test(line)) kills++;
      if (o.verbose || kills % 25 === 0) o.log(`exactly-once ${t.label}: kill ${kills}/${o.kills}: ${line}`);
    },
  });
  return { ...s, id: t.id, label: t.label, itemsPerJob: o.items, durationMs: Date.now() - t0 };
}
