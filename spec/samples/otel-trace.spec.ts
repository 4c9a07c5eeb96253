/**
 * samples/otel-trace with the real OpenTelemetry SDK (console exporter), run as a child process: a
 * run that fails at image 2 prints ERROR spans for the run and the image; the rerun's job span says
 * it resumed and has item spans only for the images left.
 */
import { cleanUp, runSample, workDir } from './sample-runner';

const SCRIPT = 'otel-trace/trace-job.ts';

afterEach(cleanUp);

/** The spans the console exporter printed (util.inspect objects, one per span), in print order. */
function spans(stdout: string): { name: string; index: number | null; status: number; resumed: boolean }[] {
  return stdout
    .split(/\n(?=\{\n)/)
    .filter((block) => /\bname: '/.test(block))
    .map((block) => ({
      name: /\n  name: '([^']+)'/.exec(block)![1],
      index: /'safe_state\.item\.index': (\d+)/.test(block) ? Number(/'safe_state\.item\.index': (\d+)/.exec(block)![1]) : null,
      status: Number(/status: \{ code: (\d)/.exec(block)![1]),
      resumed: /'safe_state\.job\.resumed': true/.test(block),
    }));
}

describe('samples/otel-trace', () => {
  it('prints a span per run and per image; the failed run and image are ERROR; the rerun resumes at the failed image', async () => {
    const cwd = workDir();
    const first = await runSample(SCRIPT, ['--fail-at', '2'], cwd);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('stopped: image 2 is corrupt');
    expect(spans(first.stdout)).toEqual([
      { name: 'item resize-images', index: 0, status: 0, resumed: false },
      { name: 'item resize-images', index: 1, status: 0, resumed: false },
      { name: 'item resize-images', index: 2, status: 2, resumed: false },
      { name: 'job resize-images', index: null, status: 2, resumed: false },
    ]);
    const rerun = await runSample(SCRIPT, [], cwd);
    expect(rerun.code).toBe(0);
    expect(spans(rerun.stdout)).toEqual([
      { name: 'item resize-images', index: 2, status: 0, resumed: false },
      { name: 'item resize-images', index: 3, status: 0, resumed: false },
      { name: 'item resize-images', index: 4, status: 0, resumed: false },
      { name: 'job resize-images', index: null, status: 0, resumed: true },
    ]);
  }, 120_000);
});
