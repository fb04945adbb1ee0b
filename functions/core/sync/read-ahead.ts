/**
 * A window's search, started possibly before the window is saved as pending. Searching is
 * read-only, so starting early is harmless: nothing is written for a window until it is
 * pending. The engine starts the next window's search while it writes and commits the current
 * one, so Mimecast's latency for that first page overlaps the engine's own I/O.
 */
import type { AuditEventPage, MimecastClient } from '#core/mimecast/types.js';

/** One started `get-audit-events` search over `[startMs, endMs]`. */
export class WindowSearch {
  private readonly stop = new AbortController();
  private readonly iterator: AsyncIterator<AuditEventPage>;
  private readonly first: Promise<IteratorResult<AuditEventPage>>;

  /**
   * Starts the search: the first page is requested at once. `startedAtMs` is when (our clock):
   * every event searchable by then is in the answer, which is what a window's rescans count from.
   */
  constructor(
    client: MimecastClient,
    readonly startMs: number,
    readonly endMs: number,
    pageSize: number,
    deadline: number,
    readonly startedAtMs: number,
  ) {
    const query = { start: new Date(startMs), end: new Date(endMs), pageSize };
    this.iterator = client
      .auditEventPages(query, { deadline, signal: this.stop.signal })
      [Symbol.asyncIterator]();
    this.first = this.iterator.next();
    // A failure is reported to whoever reads the pages; an unread, cancelled search has none.
    this.first.catch(() => undefined);
  }

  /** True when this search covers exactly the range a window needs. */
  covers(startMs: number, endMs: number): boolean {
    return this.startMs === startMs && this.endMs === endMs;
  }

  /** The pages, beginning with the one already requested. Stopping early ends the search. */
  async *pages(): AsyncGenerator<AuditEventPage> {
    try {
      let result = await this.first;
      while (!result.done) {
        yield result.value;
        result = await this.iterator.next();
      }
    } finally {
      this.cancel();
    }
  }

  /** Abandons the search: in-flight requests are aborted and their failures ignored. */
  cancel(): void {
    this.stop.abort();
    this.iterator.return?.(undefined).catch(() => undefined);
  }
}
