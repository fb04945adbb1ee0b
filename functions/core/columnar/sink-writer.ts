import { ByteWriter } from 'hyparquet-writer';

/**
 * hyparquet-writer's ByteWriter that hands its bytes to the sink whenever the ParquetWriter
 * flushes (after each row group, and at the end), then reuses its buffer: memory stays at one
 * row group's encoded size. `offset` keeps counting, so the footer's offsets are file offsets.
 */
export class SinkWriter extends ByteWriter {
  constructor(private readonly sink: (chunk: Uint8Array) => Promise<void>) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    if (this.index === 0) return Promise.resolve();
    // A copy: the sink may keep the chunk (an upload part in flight) while the buffer is reused.
    const chunk = new Uint8Array(this.buffer, 0, this.index).slice();
    this.index = 0;
    return this.sink(chunk);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

/** What a streaming Parquet file writer reports when closed. */
export interface ParquetFileTotals {
  rows: number;
  bytes: number;
  rowGroups: number;
}

/**
 * The public face of a streaming Parquet file writer: calls run one after another (a write() not
 * awaited before the next still keeps row order), and after a failure (e.g. the sink rejected)
 * every later call fails with it, since the file is unusable. `name` is for the misuse errors.
 */
export function serialFileWriter<T>(
  name: string,
  steps: { append(items: readonly T[]): Promise<void>; finish(): Promise<ParquetFileTotals> },
): { write(items: readonly T[]): Promise<void>; close(): Promise<ParquetFileTotals> } {
  let queue: Promise<unknown> = Promise.resolve();
  let failure: unknown;
  let closed = false;
  function enqueue<R>(step: () => Promise<R>): Promise<R> {
    const run = queue.then(async () => {
      if (failure !== undefined) throw failure;
      try {
        return await step();
      } catch (error) {
        failure = error;
        throw error;
      }
    });
    queue = run.catch(() => undefined);
    return run;
  }
  return {
    write(items) {
      if (closed) return Promise.reject(new Error(`${name}.write after close`));
      return enqueue(() => steps.append(items));
    },
    close() {
      if (closed) return Promise.reject(new Error(`${name}.close called twice`));
      closed = true;
      return enqueue(() => steps.finish());
    },
  };
}
