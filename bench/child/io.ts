/** Helpers every benchmark child uses: read the request, build the shared clock, report memory, write the answer. */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Clock } from '#core/ports.js';
import type { ChildRequest, ChildResult, MemoryFigures, SharedClock } from './protocol.js';

/** The request file named by argv[2], checked to be of the expected mode. */
export function readRequest<M extends ChildRequest['mode']>(mode: M): Extract<ChildRequest, { mode: M }> {
  const path = process.argv[2];
  if (path === undefined) throw new Error('usage: node <child> <request.json> <result.json>');
  const request = JSON.parse(readFileSync(path, 'utf8')) as ChildRequest;
  if (request.mode !== mode) throw new Error(`expected a ${mode} request, got ${request.mode}`);
  return request as Extract<ChildRequest, { mode: M }>;
}

/** Writes the answer to the file named by argv[3]. */
export function writeResult(result: ChildResult): void {
  const path = process.argv[3];
  if (path === undefined) throw new Error('usage: node <child> <request.json> <result.json>');
  writeFileSync(path, JSON.stringify(result));
}

/** The simulated clock: starts at `simEpochMs` when real time was `realStartMs`, then runs with real time. */
export function sharedClock(shared: SharedClock): Clock {
  const offset = shared.simEpochMs - shared.realStartMs;
  return { now: () => Date.now() + offset };
}

/** VmHWM (peak resident set) from /proc/self/status in kB, or null where there is no procfs. */
function vmHwmKb(): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] === undefined ? null : Number(match[1]);
  } catch (err: unknown) {
    if (err instanceof Error) return null;
    throw err;
  }
}

/** Samples RSS on a timer (unref'd, so it never keeps the child alive). */
export class RssSampler {
  private readonly samples: number[] = [];
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    if (intervalMs > 0) {
      this.timer = setInterval(
        () => this.samples.push(Math.round(process.memoryUsage.rss() / 1024)),
        intervalMs,
      );
      this.timer.unref();
    }
  }

  /** Stops sampling and returns the peak figures plus the samples. */
  finish(): MemoryFigures {
    if (this.timer) clearInterval(this.timer);
    return { maxRssKb: process.resourceUsage().maxRSS, vmHwmKb: vmHwmKb(), rssSamplesKb: this.samples };
  }
}

/** Runs `main`, exiting non-zero with the error's message on failure (the parent reports it). */
export function runChild(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
