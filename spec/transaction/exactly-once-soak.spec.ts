/**
 * Exactly-once items (SPEC §8): a job whose SqlBackend shares the connection or pool of its items'
 * transactions, SIGKILLed at random moments on real SQLite, MariaDB and PostgreSQL and rerun until
 * it completes (bench/exactly-once-soak.ts): every item's effect is there exactly once, and after
 * every kill the checkpoint counts as done exactly the items whose effect committed. The control
 * case (the backend on a connection of its own) shows that the same kills do repeat items when the
 * completion is not part of the transaction, so the soak can tell the difference. The same holds
 * for `@Idempotent({ key })` results recorded inside the transaction that makes the side effect
 * (SPEC §7), without any job: a plain loop calls every key again on each rerun.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { testServers } from '../setup/servers';
import { tempDir } from '../helpers';
import { runExactlyOnceSoak, type ExactlyOnceSummary } from '../../bench/exactly-once-soak';
import type { SoakDialect } from '../../bench/exactly-once-db';

const dir = tempDir('safe-state-eo-soak-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function whereOf(dialect: SoakDialect, file: string): string {
  if (dialect === 'sqlite') return path.join(dir, file);
  return dialect === 'mysql' ? testServers().mysqlUrl : testServers().postgresUrl;
}

const seed = (Date.now() >>> 0) % 100000;

describe.each(['sqlite', 'mysql', 'postgres'] as const)('exactly-once soak on %s', (dialect) => {
  it('12 SIGKILLs: every item has exactly one effect, none lost; the checkpoint matches the effects after each kill', async () => {
    const s: ExactlyOnceSummary = await runExactlyOnceSoak({ dialect, where: whereOf(dialect, 'soak.db'), kills: 12, items: 80, seed, prefix: `eo_${dialect}_${process.pid}` });
    expect({ seed, violations: s.violations }).toEqual({ seed, violations: [] });
    expect(s.kills).toBe(12);
    expect(s.jobs).toBeGreaterThanOrEqual(1);
    expect(s.items).toBe(s.jobs * 80);
    expect(s.effects).toBe(s.items);
    expect(s.repeats).toBe(0);
    expect(s.missing).toBe(0);
    expect(s.landings.K + s.landings.Kd).toBeGreaterThan(0);
  }, 300_000);

  it('@Idempotent({ key }) inside a transaction: 8 SIGKILLs, every side effect of a key exactly once', async () => {
    const s = await runExactlyOnceSoak({ dialect, where: whereOf(dialect, 'keys.db'), kills: 8, items: 40, seed, prefix: `eok_${dialect}_${process.pid}`, subject: 'idempotent' });
    expect({ seed, violations: s.violations }).toEqual({ seed, violations: [] });
    expect(s.kills).toBe(8);
    expect(s.effects).toBe(s.items);
    expect(s.repeats).toBe(0);
    expect(s.missing).toBe(0);
  }, 300_000);

  it('control: with the backend on a connection of its own, kills right after a commit repeat items', async () => {
    const s = await runExactlyOnceSoak({ dialect, where: whereOf(dialect, 'control.db'), kills: 4, items: 40, seed, prefix: `eoc_${dialect}_${process.pid}`, aims: ['K'], separateBackend: true });
    // the soak flags the at-least-once behaviour: effects without "done" after a kill, and repeats
    expect(s.repeats).toBeGreaterThan(0);
    expect(s.violations.join('\n')).toMatch(/items with an effect but not done/);
    expect(s.missing).toBe(0);
  }, 300_000);
});
