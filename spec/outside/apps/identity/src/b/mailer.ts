import * as fs from 'node:fs';
import { Idempotent } from 'safe-state';

/** One of two classes named Mailer, in src/b/: its records must not be those of src/a/'s. */
export class Mailer {
  @Idempotent({ key: (to: string) => to })
  async send(to: string): Promise<string> {
    fs.appendFileSync(process.env.SENT_LOG!, `b:${to}\n`);
    return `b:${to}`;
  }
}
