/**
 * Sample: clean a CSV file row by row into a new CSV file, resumably and idempotently.
 *
 * The input is streamed (an async generator of rows: safe-state does not need the whole file in
 * memory, nor its row count). Each row is cleaned (names, emails, phone numbers, dates,
 * countries), invalid rows and duplicate emails are dropped, and the rest is appended to the
 * output file. The output stays exact across crashes: with each row, the job saves the output's
 * length (`checkpoint({ bytes })`, stored together with the row's completion), and a rerun first
 * cuts the output back to that length, so a row written by a run that died before recording it is
 * not written twice.
 *
 * Usage (from any working directory):
 *
 *   npx tsx samples/csv-cleanup/clean-csv.ts [--in FILE] [--out FILE] [--fail-at ID] [--crash-after ID] [--delay MS]
 *
 * - `--in FILE`: the CSV to clean (default: customers.csv next to this script).
 * - `--out FILE`: the cleaned CSV (default: customers.clean.csv in the working directory).
 * - `--fail-at ID`: cleaning the row with this id throws (a simulated bug).
 * - `--crash-after ID`: the process kills itself (SIGKILL) right after writing the row with this
 *   id, before safe-state could record it: the rerun must not write that row twice.
 * - `--delay MS`: time per row (default 0).
 *
 * Output: verbose lines on stderr; on stdout `this run: <k> rows written, <d> dropped`. Exit code 0
 * when the file is cleaned, 1 when the run stopped on an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeState, SafeStateError, checkpoint, resumeState } from '../../lib/index';

export const COLUMNS = ['id', 'name', 'email', 'phone', 'signup_date', 'country'] as const;
/** One input row, by column name. */
export type Row = Record<(typeof COLUMNS)[number], string>;

/**
 * Splits CSV text into fields (RFC 4180: fields in double quotes may hold commas, newlines and
 * doubled quotes). Answers null when the text ends inside a quoted field (the record continues on
 * the next line).
 */
export function parseCsvRecord(text: string): string[] | null {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}

/** One CSV line (with `\n`), quoting the fields that need it. */
export function toCsvLine(fields: readonly string[]): string {
  return fields.map((f) => (/[",\n\r]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',') + '\n';
}

/** The records of a CSV file after its header, streamed, as objects by column name. */
export async function* readCsvRows(file: string): AsyncGenerator<Row> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let header: string[] | null = null;
  let pending = '';
  for await (const line of lines) {
    pending = pending ? `${pending}\n${line}` : line;
    const fields = parseCsvRecord(pending);
    if (!fields) continue; // a quoted field goes on
    pending = '';
    if (!header) {
      header = fields.map((h) => h.trim());
      continue;
    }
    if (fields.length === 1 && fields[0] === '') continue; // blank line
    yield Object.fromEntries(header.map((h, i) => [h, fields[i] ?? ''])) as Row;
  }
}

const COUNTRIES: Record<string, string> = {
  us: 'US', usa: 'US', 'u.s.': 'US', 'united states': 'US',
  de: 'DE', deu: 'DE', germany: 'DE',
  fr: 'FR', france: 'FR',
  br: 'BR', brazil: 'BR',
  jp: 'JP', japan: 'JP',
  in: 'IN', ind: 'IN', india: 'IN',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const titleCase = (w: string) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase();

/** `YYYY-MM-DD` from `2021-03-04`, `03/04/2021` (month first) or `4 Mar 2021`; '' when unknown. */
export function isoDate(text: string): string {
  const t = text.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (m) return `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}`;
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (m) return `${m[3]}-${m[1].padStart(2, '0')}-${m[2].padStart(2, '0')}`;
  m = /^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})$/.exec(t);
  const month = m ? MONTHS.indexOf(m[2].toLowerCase()) : -1;
  if (m && month >= 0) return `${m[3]}-${String(month + 1).padStart(2, '0')}-${m[1].padStart(2, '0')}`;
  return '';
}

/** A cleaned row, or why the row is dropped. */
export type Cleaned = { ok: true; fields: string[]; email: string } | { ok: false; reason: string };

/** Cleans one row: names "Last, First" → "First Last" in title case, emails lower case, phones E.164, dates ISO, countries ISO 3166. */
export function cleanRow(row: Row): Cleaned {
  const email = row.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return { ok: false, reason: 'invalid email' };
  let name = row.name.trim().replace(/\s+/g, ' ');
  const comma = /^([^,]+),\s*(.+)$/.exec(name);
  if (comma) name = `${comma[2]} ${comma[1]}`;
  name = name.split(' ').map(titleCase).join(' ');
  let digits = row.phone.replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
  const phone = digits.length === 10 ? `+1${digits}` : '';
  const country = COUNTRIES[row.country.trim().toLowerCase()] ?? row.country.trim().toUpperCase();
  return { ok: true, fields: [row.id.trim(), name, email, phone, isoDate(row.signup_date), country], email };
}

/** What the job saves with each row: how long the output file is once that row is written. */
interface OutputState {
  bytes: number;
}

/**
 * The output file: on a fresh start it is (re)created with the header; on a resume it is cut back
 * to the length saved with the last done row (a row written after that, by a run that died before
 * recording it, goes), and the emails already written are read back for the duplicate check.
 */
export class CleanOutput {
  readonly seen = new Set<string>();
  bytes: number;
  private readonly fd: number;

  constructor(readonly file: string, resumeAt: number | null) {
    if (resumeAt === null) {
      fs.writeFileSync(file, toCsvLine([...COLUMNS]));
    } else {
      const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
      if (size < resumeAt) {
        throw new Error(`${file} is ${size < 0 ? 'missing' : `shorter (${size} bytes) than the checkpoint says (${resumeAt})`}: delete the checkpoint (safe-state clear csv-cleanup) to start over`);
      }
      fs.truncateSync(file, resumeAt);
      const lines = fs.readFileSync(file, 'utf8').split('\n').slice(1);
      for (const line of lines) {
        const fields = line ? parseCsvRecord(line) : null;
        if (fields) this.seen.add(fields[2]);
      }
    }
    this.bytes = fs.statSync(file).size;
    this.fd = fs.openSync(file, 'r+');
  }

  write(fields: readonly string[]): void {
    const buf = Buffer.from(toCsvLine(fields));
    for (let off = 0; off < buf.length; ) off += fs.writeSync(this.fd, buf, off, buf.length - off, this.bytes + off);
    this.bytes += buf.length;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** The job. */
export class CsvCleanup {
  written = 0;
  dropped = 0;

  constructor(
    private readonly outFile: string,
    private readonly options: { failAt: string | null; crashAfter: string | null; delayMs: number },
  ) {}

  @SafeState({ name: 'csv-cleanup', verbose: true })
  async run(rows: AsyncIterable<Row>): Promise<void> {
    const out = new CleanOutput(this.outFile, resumeState<OutputState>()?.bytes ?? null);
    try {
      for await (const row of rows) {
        if (this.options.delayMs > 0) await sleep(this.options.delayMs);
        if (row.id === this.options.failAt) throw new Error(`cannot clean row ${row.id}: unexpected value`);
        const cleaned = cleanRow(row);
        if (cleaned.ok && !out.seen.has(cleaned.email)) {
          out.write(cleaned.fields);
          out.seen.add(cleaned.email);
          this.written++;
        } else this.dropped++;
        if (row.id === this.options.crashAfter) process.kill(process.pid, 'SIGKILL');
        // saved together with this row's completion, when the loop asks for the next row
        await checkpoint({ bytes: out.bytes } satisfies OutputState);
      }
    } finally {
      out.close();
    }
  }
}

function usage(problem?: string): never {
  const text = 'usage: clean-csv [--in FILE] [--out FILE] [--fail-at ID] [--crash-after ID] [--delay MS]';
  if (problem) {
    console.error(`${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

async function main(): Promise<void> {
  const args = { in: path.join(__dirname, 'customers.csv'), out: 'customers.clean.csv', failAt: null as string | null, crashAfter: null as string | null, delayMs: 0 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === '--in') args.in = value();
    else if (flag === '--out') args.out = value();
    else if (flag === '--fail-at') args.failAt = value();
    else if (flag === '--crash-after') args.crashAfter = value();
    else if (flag === '--delay') args.delayMs = Number(value());
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument ${flag}`);
  }
  const job = new CsvCleanup(args.out, args);
  try {
    await job.run(readCsvRows(args.in));
    console.log(`this run: ${job.written} rows written, ${job.dropped} dropped; ${args.out} is complete`);
  } catch (error) {
    console.log(`this run: ${job.written} rows written, ${job.dropped} dropped`);
    const e = error as Error;
    console.error(`stopped: ${e.name}: ${e.message}${SafeStateError.is(e) ? '' : ' (run the same command again to resume)'}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
