import { SafeState } from '../../lib/index';
import { Injectable } from './injectable';
import { PaymentsGateway, type Invoice } from './payments.gateway';

/**
 * The service with the batch job, as it would sit in a NestJS module: an injectable class whose
 * method is decorated with `@SafeState`. The decorator is the only part about safe-state.
 */
@Injectable()
export class InvoicesService {
  /** called after each invoice is charged (the sample's `--crash-after` hooks in here) */
  afterCharge: (invoice: Invoice, receipt: string) => void = () => {};

  constructor(private readonly payments: PaymentsGateway) {}

  // key: resume by invoice id; verbose: progress lines on stderr
  @SafeState({ name: 'nest-invoices', key: (invoice: Invoice) => invoice.id, verbose: true })
  async chargeAll(invoices: Invoice[]): Promise<number> {
    let total = 0;
    for (const invoice of invoices) {
      const receipt = await this.payments.charge(invoice);
      this.afterCharge(invoice, receipt);
      total += invoice.cents;
    }
    return total;
  }
}
