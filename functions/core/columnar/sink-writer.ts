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
