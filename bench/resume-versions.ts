/**
 * Resume latency of two versions of safe-state in the same rounds: `tsx bench/resume-versions.ts
 * <git revision> [--rounds N]` builds the package of that revision the way it built itself
 * (`scripts/build.ts` when it has one, else `tsc`, one module per source file) and of the working
 * tree (`scripts/build.ts`), then spawns the resume-latency child (bench/fixtures/resume-child.ts)
 * against each, alternating with a bare `node -e` start, as bench/resume-latency.ts does. Prints
 * the medians and each version's median of per-round differences to the bare start.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { safeState } from '../lib/index';
import { bundle } from '../scripts/build';
import { libIndexTo, REPO_ROOT } from './build';
import { interleave, measurement, progress } from './measure';
import { BARE_SCRIPT, CHILD_ENTRY, JOB, RESUME_LATENCY_TARGET_US, timeChild } from './resume-latency';
import { expectStop, Stop } from './resumed-job';
import { formatReport, makeReport } from './report';
import { TempDir } from './temp-dir';
import * as os from 'node:os';
import type { ResumeChildConfig } from './fixtures/resume-child';

/** The package of `rev` built under `dir`; answers its index.js. */
function buildRevision(rev: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['archive', rev, 'lib', 'tsconfig.json', 'package.json', ...(hasPath(rev, 'scripts') ? ['scripts'] : [])], { cwd: REPO_ROOT, maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  fs.symlinkSync(fs.realpathSync(path.join(REPO_ROOT, 'node_modules')), path.join(dir, 'node_modules'), 'dir');
  const out = path.join(dir, 'dist');
  if (fs.existsSync(path.join(dir, 'scripts', 'build.ts'))) {
    execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(dir, 'scripts', 'build.ts'), out], { cwd: dir, stdio: 'ignore' });
  } else {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json'), '--outDir', out], { cwd: dir, stdio: 'ignore' });
  }
  return path.join(out, 'index.js');
}

function hasPath(rev: string, p: string): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${rev}:${p}`], { cwd: REPO_ROOT, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function child(index: string, out: string): Promise<string> {
  await esbuild.build({ platform: 'node', format: 'cjs', target: 'node20', bundle: true, packages: 'external', logLevel: 'error', entryPoints: [CHILD_ENTRY], outfile: out, banner: { js: 'globalThis.__safeStateBenchStart = performance.now();' }, plugins: [libIndexTo(index)] });
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const rev = argv.find((a) => !a.startsWith('--'));
  const roundsAt = argv.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : 21;
  if (!rev || !(rounds > 0)) {
    process.stderr.write('usage: tsx bench/resume-versions.ts <git revision> [--rounds N]\n');
    process.exit(2);
  }
  const tmp = new TempDir();
  const started = Date.now();
  const loadStart = os.loadavg()[0];
  try {
    progress(`building ${rev} and the working tree`);
    const before = buildRevision(rev, tmp.sub('before'));
    const afterDir = tmp.sub('after');
    fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(afterDir, 'package.json'));
    fs.symlinkSync(fs.realpathSync(path.join(REPO_ROOT, 'node_modules')), path.join(afterDir, 'node_modules'), 'dir');
    const after = (await bundle(path.join(afterDir, 'dist'))).index;
    const children = [await child(before, path.join(tmp.path, 'child-before.cjs')), await child(after, path.join(afterDir, 'child-after.cjs'))];
    const stateDir = tmp.sub('state');
    await expectStop(safeState(async (xs: number[]) => {
      for (const x of xs) if (x === JOB.resumeAt) throw new Stop();
    }, { name: JOB.name, stateDir, saveEvery: 2 ** 30, durability: 'process' })(Array.from({ length: JOB.items }, (_, i) => i)));
    const cfg = JSON.stringify({ stateDir, name: JOB.name, items: JOB.items, resumeAt: JOB.resumeAt } satisfies ResumeChildConfig);
    const [bare, b, a] = await interleave(
      `resume latency, ${rev} against the working tree`,
      [['-e', BARE_SCRIPT], [children[0], cfg], [children[1], cfg]].map((args, i) => ({ name: String(i), run: async () => (await timeChild(args, afterDir)).wallMs * 1000 })),
      rounds,
    );
    const target = { metric: 'overheadUs', op: '<=', value: RESUME_LATENCY_TARGET_US } as const;
    const measurements = [
      measurement('resume-latency-before', `Resume in a new process (${rev})`, JOB.items, 'bare node -e start', b, bare, target, 'start'),
      measurement('resume-latency-after', 'Resume in a new process (working tree)', JOB.items, 'bare node -e start', a, bare, target, 'start'),
    ];
    process.stdout.write(formatReport(makeReport({ quick: false, dir: tmp.path, started, loadStart }, measurements, [])) + '\n');
  } finally {
    tmp.remove();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`resume-versions failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
