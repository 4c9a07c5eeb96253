/**
 * Sample: a NestJS-style service (an `@Injectable()` class with a `@SafeState` method, calling an
 * `@Idempotent` payment gateway) in a project compiled with `experimentalDecorators: true` and
 * `emitDecoratorMetadata: true`, as every NestJS project is. Killed half-way, the rerun resumes at
 * the invoice it stopped at and charges no invoice twice.
 *
 * Usage (from any working directory; `ledger.log` and `.safe_state/` live there):
 *
 *   npx tsx --tsconfig samples/nest-invoices/tsconfig.json samples/nest-invoices/main.ts [--invoices N] [--fail-at ID] [--crash-after ID] [--delay MS]
 *
 * - `--invoices N`: how many invoices are due (default 100): `INV-0000` … .
 * - `--fail-at ID`: the payment provider declines invoice ID (`PaymentDeclinedError`).
 * - `--crash-after ID`: the process kills itself (SIGKILL) right after invoice ID was charged and
 *   its receipt recorded by `@Idempotent`, before the job's checkpoint counted it.
 * - `--delay MS`: time per charge (default 0).
 *
 * Output: safe-state's verbose lines on stderr; on stdout the decorator form the compiler used and
 * `charged <n> invoices this run`. Exit code 0 when every invoice is charged, 1 on an error.
 */
import { SafeStateError } from '../../lib/index';
import { decoratorForm } from './injectable';
import { InvoicesService } from './invoices.service';
import { PaymentsGateway, type Invoice } from './payments.gateway';

interface Args {
  invoices: number;
  failAt: string | null;
  crashAfter: string | null;
  delayMs: number;
}

function usage(problem?: string): never {
  const text = 'usage: main [--invoices N] [--fail-at ID] [--crash-after ID] [--delay MS]';
  if (problem) {
    console.error(`${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) usage(`${flag} must be a non-negative integer (got ${text})`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { invoices: 100, failAt: null, crashAfter: null, delayMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--invoices') args.invoices = count(flag, value());
    else if (flag === '--fail-at') args.failAt = value();
    else if (flag === '--crash-after') args.crashAfter = value();
    else if (flag === '--delay') args.delayMs = count(flag, value());
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument ${flag}`);
  }
  return args;
}

/** Invoice number `n` (deterministic, so every run sees the same invoices). */
export function invoiceNumber(n: number): Invoice {
  return { id: `INV-${String(n).padStart(4, '0')}`, customer: `customer-${n % 17}`, cents: 1000 + ((n * 37) % 9000) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // what a NestJS module would wire up from the providers' constructor parameters
  const payments = new PaymentsGateway({ ledger: 'ledger.log', failAt: args.failAt, delayMs: args.delayMs });
  const service = new InvoicesService(payments);
  service.afterCharge = (invoice) => {
    if (invoice.id === args.crashAfter) process.kill(process.pid, 'SIGKILL');
  };
  console.log(`decorators: ${decoratorForm}`);
  const invoices = Array.from({ length: args.invoices }, (_, n) => invoiceNumber(n));
  try {
    await service.chargeAll(invoices);
  } catch (e) {
    console.log(`charged ${payments.charged} invoices this run`);
    if (!SafeStateError.is(e) && !(e instanceof Error && e.name === 'PaymentDeclinedError')) throw e;
    process.exitCode = 1;
    return;
  }
  console.log(`charged ${payments.charged} invoices this run`);
}

if (require.main === module) void main();
