/**
 * What the CLI shows on stderr while a query is queued and running: on a terminal a live line
 * (cli-progress) with the state, elapsed time and bytes scanned; otherwise a plain line now and
 * then, which reads well in CI logs and when stderr goes to a file. Results go to stdout, so
 * progress never mixes into them.
 */
import cliProgress from 'cli-progress';

const bytes = (n: number): string =>
  n < 1_000
    ? `${n} B`
    : n < 1e6
      ? `${(n / 1e3).toFixed(1)} kB`
      : n < 1e9
        ? `${(n / 1e6).toFixed(1)} MB`
        : `${(n / 1e9).toFixed(2)} GB`;

/** One progress display. */
export interface QueryProgress {
  update(state: string, bytesScanned: number | undefined): void;
  stop(): void;
}

/** Options of a progress display. */
export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  /** Plain (non-terminal) output: at most one line per this many ms (first update always shown). */
  plainIntervalMs: number;
  quiet: boolean;
}

/** A display for one query. */
export function queryProgress(id: string, options: ProgressOptions): QueryProgress {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (options.quiet) return { update: () => undefined, stop: () => undefined };
  if (!options.stream.isTTY) {
    let last = Number.NEGATIVE_INFINITY;
    let lastState = '';
    return {
      update(state, scanned) {
        const now = Date.now();
        if (state === lastState && now - last < options.plainIntervalMs) return;
        last = now;
        lastState = state;
        options.stream.write(
          `query ${id}: ${state}, ${elapsed()}${scanned ? `, ${bytes(scanned)} scanned` : ''}\n`,
        );
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `query ${id}: {state} {elapsed} {scanned}`,
      stream: options.stream,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { state: 'queued', elapsed: elapsed(), scanned: '' });
  return {
    update(state, scanned) {
      bar.update(0, { state, elapsed: elapsed(), scanned: scanned ? `${bytes(scanned)} scanned` : '' });
    },
    stop: () => bar.stop(),
  };
}

export { bytes as formatBytes };
