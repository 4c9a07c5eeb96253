/**
 * samples/nest-invoices, run as a child process under its own tsconfig (experimentalDecorators and
 * emitDecoratorMetadata, as in a NestJS project): SIGKILLed right after an invoice was charged, the
 * rerun resumes there and charges every invoice exactly once (the one the kill left out of the
 * checkpoint is replayed from its @Idempotent record, not charged again).
 */
import * as path from 'node:path';
import { REPO, cleanUp, fileLines, runSample, verboseLines, workDir } from './sample-runner';
import { invoiceNumber } from '../../samples/nest-invoices/main';

const SCRIPT = 'nest-invoices/main.ts';
const LEGACY = { TSX_TSCONFIG_PATH: path.join(REPO, 'samples', 'nest-invoices', 'tsconfig.json') };
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => invoiceNumber(from + i).id);
const ledger = (cwd: string) => fileLines(cwd, 'ledger.log').map((l) => l.split(' ')[0]);

afterEach(cleanUp);

describe('samples/nest-invoices', () => {
  it('killed (SIGKILL) right after a charge: the rerun resumes there and charges no invoice twice', async () => {
    const cwd = workDir();
    const crashed = await runSample(SCRIPT, ['--invoices', '120', '--crash-after', 'INV-0070'], cwd, LEGACY);
    expect(crashed.signal).toBe('SIGKILL');
    expect(crashed.stdout).toBe('decorators: legacy\n'); // the legacy decorator form ran
    expect(ledger(cwd)).toEqual(ids(0, 71));

    const rerun = await runSample(SCRIPT, ['--invoices', '120'], cwd, LEGACY);
    expect(rerun.code).toBe(0);
    expect(verboseLines(rerun.stderr)).toEqual([
      "[safe-state] resuming 'nest-invoices': 70/120 done (run #2)",
      '[safe-state] skipped 70 done items',
      "[safe-state] job 'nest-invoices' complete; checkpoint cleared",
    ]);
    expect(rerun.stdout).toBe('decorators: legacy\ncharged 49 invoices this run\n'); // INV-0070 replayed from its record
    expect(ledger(cwd)).toEqual(ids(0, 120)); // every invoice charged exactly once
  });

  it('a declined payment stops the job; the rerun resumes at that invoice', async () => {
    const cwd = workDir();
    const first = await runSample(SCRIPT, ['--invoices', '50', '--fail-at', 'INV-0030'], cwd, LEGACY);
    expect(first.code).toBe(1);
    expect(first.stdout).toBe('decorators: legacy\ncharged 30 invoices this run\n');
    expect(verboseLines(first.stderr)[1]).toBe("[safe-state] 'nest-invoices' failed at item 30: PaymentDeclinedError: 402 card declined for INV-0030");
    const second = await runSample(SCRIPT, ['--invoices', '50'], cwd, LEGACY);
    expect(second.code).toBe(0);
    expect(verboseLines(second.stderr)[0]).toBe("[safe-state] resuming 'nest-invoices': 30/50 done (run #2)");
    expect(ledger(cwd)).toEqual(ids(0, 50));
  });
});
