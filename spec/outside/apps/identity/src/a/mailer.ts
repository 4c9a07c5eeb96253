import * as fs from 'node:fs';
import { Idempotent } from 'safe-state';

/** One of two classes named Mailer, in src/a/: its records must not be those of src/b/'s. */
export class Mailer {
  @Idempotent({ key: (to: string) => to })
  async send(to: string): Promise<string> {
    fs.appendFileSync(process.env.SENT_LOG!, `a:${to}\n`);
    return `a:${to}`;
  }
}
