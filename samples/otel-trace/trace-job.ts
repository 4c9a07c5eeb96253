/**
 * Sample: a job's trace, printed by the OpenTelemetry console exporter.
 *
 * `instrument()` from `safe-state/otel` turns safe-state's diagnostics channels into OpenTelemetry
 * spans and metrics. Here the SDK's `ConsoleSpanExporter` prints every span as it ends: one
 * `job resize-images` span per run, and (with `itemSpans: true`) one `item resize-images` span per
 * image, a child of its run's span. A run that fails has an ERROR span with the exception; the
 * rerun's span says `safe_state.job.resumed: true` and has spans only for the images that were left.
 *
 * Usage (from any working directory; the checkpoint directory `.safe_state/` lives there):
 *
 *   npx tsx samples/otel-trace/trace-job.ts [--fail-at N] [--images N]
 *
 * - `--images N`: how many images to resize (default 5).
 * - `--fail-at N`: image N is broken (`Error: image N is corrupt`), so the run fails there.
 *
 * Needs `@opentelemetry/api` and `@opentelemetry/sdk-trace-base` (`npm install @opentelemetry/api
 * @opentelemetry/sdk-trace-base`). Output: the spans on stdout (the console exporter's format);
 * exit code 0 when every image is done, 1 when the run stopped on an error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SafeState } from '../../lib/index';
import { instrument } from '../../lib/otel/index';

// 1. the OpenTelemetry SDK: every span is printed when it ends
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });
trace.setGlobalTracerProvider(provider);

// 2. safe-state's jobs are recorded through the global providers from now on
const uninstall = instrument({ itemSpans: true });

class Thumbnails {
  constructor(private readonly failAt: number) {}

  @SafeState({ name: 'resize-images' })
  async run(images: string[]): Promise<number> {
    let resized = 0;
    for (const image of images) {
      await sleep(5); // the resize
      if (image === `img-${this.failAt}.png`) throw new Error(`image ${this.failAt} is corrupt`);
      resized++;
    }
    return resized;
  }
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const images = Array.from({ length: option('--images', 5) }, (_, i) => `img-${i}.png`);
  try {
    await new Thumbnails(option('--fail-at', -1)).run(images);
  } catch (e) {
    process.stderr.write(`stopped: ${(e as Error).message} (run the same command again to resume)\n`);
    process.exitCode = 1;
  } finally {
    uninstall();
    await provider.shutdown(); // exports what is still buffered
  }
}

void main();
