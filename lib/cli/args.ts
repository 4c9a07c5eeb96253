import { UsageError } from './cli-errors';

/** The commands of `safe-state`. @internal */
export type Command = 'list' | 'show' | 'clear' | 'reset' | 'help' | 'version';

const COMMANDS: readonly Command[] = ['list', 'show', 'clear', 'reset', 'help', 'version'];
/** commands that name one job */
const JOB_COMMANDS: readonly Command[] = ['show', 'clear', 'reset'];

/** Where the checkpoints are: at most one of these is set (none: `--dir .safe_state`). @internal */
export interface BackendArgs {
  /** `--dir DIR`: a FileBackend directory */
  dir?: string;
  /** `--redis URL` */
  redis?: string;
  /** `--sqlite FILE` */
  sqlite?: string;
  /** `--mysql URL` */
  mysql?: string;
  /** `--postgres URL` */
  postgres?: string;
}

/** A parsed command line. @internal */
export interface CliArgs {
  command: Command;
  /** the job named by show / clear / reset; for help, the command asked about */
  job: string | null;
  backend: BackendArgs;
  /** `--json`: machine-readable output on stdout */
  json: boolean;
  /** `--items LIST` (reset) */
  items: string | null;
  /** `--keys LIST` (reset) */
  keys: string | null;
  /** `--failed` (reset): forget the failed items of `onItemError: 'skip'` */
  failed: boolean;
}

/** Options that take a value, and where the value goes. */
const VALUE_OPTIONS = {
  '--dir': 'dir',
  '--redis': 'redis',
  '--sqlite': 'sqlite',
  '--mysql': 'mysql',
  '--postgres': 'postgres',
  '--items': 'items',
  '--keys': 'keys',
} as const;
type ValueOption = keyof typeof VALUE_OPTIONS;

/** The backend options, in the order the help lists them. @internal */
export const BACKEND_OPTIONS = ['--dir', '--redis', '--sqlite', '--mysql', '--postgres'] as const;

/**
 * Parses the arguments after `safe-state`. Options may come before or after the command, as
 * `--opt value` or `--opt=value`; `--` ends the options (for a job name that starts with `-`).
 * Throws {@link UsageError} for anything it cannot make sense of.
 * @internal
 */
export function parseArgs(argv: readonly string[]): CliArgs {
  const positional: string[] = [];
  const values: Partial<Record<(typeof VALUE_OPTIONS)[ValueOption], string>> = {};
  let json = false;
  let failed = false;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const inline = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : undefined;
    if (flag in VALUE_OPTIONS) {
      const key = VALUE_OPTIONS[flag as ValueOption];
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      if (value === '') throw new UsageError(`${flag} needs a non-empty value`);
      if (values[key] !== undefined) throw new UsageError(`${flag} is given twice`);
      values[key] = value;
      continue;
    }
    if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
    if (flag === '--json') json = true;
    else if (flag === '--failed') failed = true;
    else if (flag === '--help' || flag === '-h') help = true;
    else if (flag === '--version' || flag === '-V') version = true;
    else throw new UsageError(`unknown option ${flag}`);
  }

  const backend: BackendArgs = {};
  const given = BACKEND_OPTIONS.filter((o) => values[VALUE_OPTIONS[o]] !== undefined);
  if (given.length > 1) throw new UsageError(`${given.join(' and ')} cannot be combined: choose one place to read checkpoints from`);
  for (const o of given) backend[VALUE_OPTIONS[o] as keyof BackendArgs] = values[VALUE_OPTIONS[o]];

  const base = { backend, json, items: values.items ?? null, keys: values.keys ?? null, failed };
  if (version) return { ...base, command: 'version', job: null };
  const [first, ...rest] = positional;
  if (help || first === undefined || first === 'help') {
    const about = first === 'help' ? rest[0] : first;
    if (about !== undefined && !COMMANDS.includes(about as Command)) throw new UsageError(`unknown command '${about}'`);
    if (first === undefined && !help) throw new UsageError('no command given', true);
    return { ...base, command: 'help', job: about ?? null };
  }
  if (!COMMANDS.includes(first as Command)) throw new UsageError(`unknown command '${first}'`);
  const command = first as Command;
  let job: string | null = null;
  if (JOB_COMMANDS.includes(command)) {
    if (rest.length === 0) throw new UsageError(`${command} needs a job name: safe-state ${command} <job>`);
    job = rest.shift()!;
    if (job === '') throw new UsageError('the job name is empty');
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'${command === 'version' ? '' : ` after ${command}${job !== null ? ` ${job}` : ''}`}`);
  if (command === 'reset') {
    const given = [base.items !== null, base.keys !== null, failed].filter(Boolean).length;
    if (given === 0) throw new UsageError('reset needs --items LIST (item indices, e.g. --items 1,5-9), --keys LIST (for jobs with the key option) or --failed (forget the failed items)');
    if (given > 1) throw new UsageError('reset takes one of --items, --keys and --failed');
  } else if (base.items !== null || base.keys !== null || failed) {
    throw new UsageError(`${base.items !== null ? '--items' : base.keys !== null ? '--keys' : '--failed'} belongs to the reset command`);
  }
  return { ...base, command, job };
}
