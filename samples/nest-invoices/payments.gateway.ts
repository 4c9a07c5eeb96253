import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Idempotent } from '../../lib/index';
import { Injectable } from './injectable';

/** An invoice to charge. */
export interface Invoice {
  /** Stable identity: what the job resumes by and what a charge is recorded under. */
  id: string;
  customer: string;
  cents: number;
}

/** The error a payment provider answers with when it is down. */
export class PaymentDeclinedError extends Error {
  static {
    this.prototype.name = 'PaymentDeclinedError';
  }
}

/** Options of the pretend payment provider. */
export interface GatewayOptions {
  /** every charge is appended here as `<invoice id> <cents>` */
  ledger: string;
  /** the provider refuses this invoice */
  failAt: string | null;
  /** time per charge */
  delayMs: number;
}

/**
 * A pretend payment provider client, as a NestJS provider would wrap one. `@Idempotent` records
 * each charge's receipt under the invoice id: a charge asked for again (the invoice a crash left
 * unrecorded in the job's checkpoint) returns the recorded receipt instead of charging twice.
 */
@Injectable()
export class PaymentsGateway {
  /** charges really made by this process */
  charged = 0;

  constructor(private readonly options: GatewayOptions) {}

  @Idempotent({ key: (invoice) => invoice.id })
  async charge(invoice: Invoice): Promise<string> {
    if (this.options.delayMs > 0) await sleep(this.options.delayMs);
    if (invoice.id === this.options.failAt) throw new PaymentDeclinedError(`402 card declined for ${invoice.id}`);
    fs.appendFileSync(this.options.ledger, `${invoice.id} ${invoice.cents}\n`);
    this.charged++;
    return `rcpt-${invoice.id}`;
  }
}
