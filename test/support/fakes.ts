/**
 * Small in-memory fakes of the engine's ports, for unit tests of pure sync logic only
 * (integration tests use the simulator over HTTP and the AWS stand-ins). Each fake keeps the
 * semantics the engine relies on (version and lease guards, inclusive server bounds, newest
 * first) and records what it was asked, so tests assert behaviour rather than call sequences.
 */
import { gunzipSync } from 'node:zlib';
import { applyChanges, initialState } from '#core/cursor/item.js';
import type {
  AuditCategory,
  AuditEventPage,
  AuditEventQuery,
  MimecastClient,
  RawAuditEvent,
  RequestOptions,
} from '#core/mimecast/types.js';
import {
  type Clock,
  type CursorChanges,
  CursorConflictError,
  type CursorState,
  type CursorStore,
  type ObjectStore,
} from '#core/ports.js';
import type { CollectorMetricName, SyncLogger, SyncMetrics, SyncMetricUnit } from '#core/sync/index.js';
import { parseMimecastTime } from '#core/time.js';

/** An ObjectStore in a Map; `failAfter` makes the n+1-th put throw (a crash mid-window). */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Uint8Array; contentType: string }>();
  puts = 0;
  deletes = 0;
  private failAfterPuts: number | undefined;

  /** The next put after `n` more successful ones throws once. */
  failAfter(n: number): void {
    this.failAfterPuts = this.puts + n;
  }

  async putObject(key: string, body: Uint8Array, contentType: string): Promise<void> {
    if (this.failAfterPuts !== undefined && this.puts >= this.failAfterPuts) {
      this.failAfterPuts = undefined;
      throw new Error(`simulated S3 failure writing ${key}`);
    }
    this.puts += 1;
    this.objects.set(key, { body, contentType });
  }

  async getObject(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key)?.body;
  }

  async listKeys(prefix: string): Promise<string[]> {
    return this.keys(prefix);
  }

  async deleteObject(key: string): Promise<void> {
    this.deletes += 1;
    this.objects.delete(key);
  }

  /** Keys under `prefix`, sorted. */
  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /** Decoded NDJSON lines of every object under `prefix`. */
  lines(prefix = ''): Array<Record<string, unknown>> {
    return this.keys(prefix).flatMap((key) => {
      const object = this.objects.get(key);
      if (!object) return [];
      const text = gunzipSync(object.body).toString('utf8');
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    });
  }
}

/** A CursorStore in memory with the DynamoDB store's guards: version + lease owner on every mutation. */
export class MemoryCursorStore implements CursorStore {
  private readonly items = new Map<string, CursorState>();
  /** Every mutating call, in order (`save:<fields>` for saves), for "pending saved before fetching" assertions. */
  readonly calls: string[] = [];
  private failCommits = 0;

  /** Seeds a source's state (e.g. an old watermark). */
  seed(state: Partial<CursorState> & { sourceId: string }): void {
    this.items.set(state.sourceId, { ...initialState(state.sourceId), version: 1, ...state });
  }

  /** The next `n` saves that commit a window (set a watermark) throw (a crash between the S3 write and the commit). */
  failNextCommits(n = 1): void {
    this.failCommits = n;
  }

  /** A copy of the stored state. */
  peek(sourceId: string): CursorState | undefined {
    const state = this.items.get(sourceId);
    return state ? structuredClone(state) : undefined;
  }

  async get(sourceId: string): Promise<CursorState | null> {
    return this.peek(sourceId) ?? null;
  }

  async acquireLease(
    sourceId: string,
    owner: string,
    now: Date,
    expiresAt: Date,
  ): Promise<CursorState | null> {
    this.calls.push('acquireLease');
    const current = this.items.get(sourceId) ?? initialState(sourceId);
    const lease = current.lease;
    if (lease && lease.owner !== owner && Date.parse(lease.expiresAt) >= now.getTime()) return null;
    const next = {
      ...current,
      version: current.version + 1,
      lease: { owner, expiresAt: expiresAt.toISOString() },
    };
    this.items.set(sourceId, next);
    return structuredClone(next);
  }

  async save(state: CursorState, owner: string, changes: CursorChanges, at: string): Promise<CursorState> {
    this.calls.push(`save:${Object.keys(changes).sort().join(',')}`);
    if ('watermark' in changes && this.failCommits > 0) {
      this.failCommits -= 1;
      throw new Error('simulated DynamoDB failure on commit');
    }
    const current = this.items.get(state.sourceId);
    if (!current || current.version !== state.version || current.lease?.owner !== owner) {
      throw new CursorConflictError('save: version or lease mismatch');
    }
    const next = applyChanges(current, structuredClone(changes), at);
    this.items.set(state.sourceId, next);
    return structuredClone(next);
  }

  async recordError(sourceId: string, owner: string, error: { at: string; kind: string; message: string }) {
    this.calls.push('recordError');
    const current = this.items.get(sourceId);
    if (!current || current.lease?.owner !== owner) throw new CursorConflictError('recordError: lease lost');
    this.items.set(sourceId, { ...current, lastError: { ...error } });
  }

  async releaseLease(sourceId: string, owner: string, at: string, stopReason?: string): Promise<void> {
    this.calls.push('releaseLease');
    const current = this.items.get(sourceId);
    if (!current || current.lease?.owner !== owner) return;
    this.items.set(sourceId, {
      ...current,
      lease: undefined,
      lastRunAt: at,
      ...(stopReason === undefined ? {} : { lastStop: { at, reason: stopReason } }),
    });
  }
}

/**
 * A Mimecast client over an in-memory event list: answers `[start, end]` (end INCLUSIVE, as a
 * server might), newest first, `pageSize` per page. `failures` are thrown by the next calls.
 */
export class FakeMimecastClient implements MimecastClient {
  events: RawAuditEvent[] = [];
  readonly queries: AuditEventQuery[] = [];
  /** Thrown (in order) by the next page requests instead of answering. */
  readonly failures: unknown[] = [];
  /** When set, each page is returned twice (a server re-sending a page). */
  repeatPages = false;
  /** Called before each page is answered (e.g. to assert the cursor already holds the pending window). */
  beforePage: (() => void) | undefined;

  async getAuditEventsPage(
    query: AuditEventQuery,
    pageToken: string | undefined,
    _options: RequestOptions,
  ): Promise<AuditEventPage> {
    this.beforePage?.();
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    if (pageToken === undefined) this.queries.push(query);
    const pageSize = query.pageSize ?? 500;
    const offset = pageToken === undefined ? 0 : Number(pageToken);
    const matching = this.matching(query);
    const events = matching.slice(offset, offset + pageSize);
    const next = offset + pageSize < matching.length ? String(offset + pageSize) : undefined;
    return { events, next, responseBytes: JSON.stringify(events).length };
  }

  async *auditEventPages(query: AuditEventQuery, options: RequestOptions): AsyncIterable<AuditEventPage> {
    let token: string | undefined;
    for (;;) {
      const page = await this.getAuditEventsPage(query, token, options);
      yield page;
      if (this.repeatPages) yield page;
      if (page.next === undefined || page.events.length === 0) return;
      token = page.next;
    }
  }

  async getCategories(): Promise<AuditCategory[]> {
    return [];
  }

  serverClockOffsetMs(): number | undefined {
    return undefined;
  }

  private matching(query: AuditEventQuery): RawAuditEvent[] {
    const start = query.start.getTime();
    const end = query.end.getTime();
    return this.events
      .filter((event) => {
        const time = parseMimecastTime(event.eventTime);
        // Events without a usable time are always returned (like a server that cannot filter them).
        return time === undefined || (time >= start && time <= end);
      })
      .sort((a, b) => (parseMimecastTime(b.eventTime) ?? 0) - (parseMimecastTime(a.eventTime) ?? 0));
  }
}

/** A clock that stays where it is set. */
export function fixedClock(ms: number): Clock & { set(ms: number): void } {
  let now = ms;
  return {
    now: () => now,
    set: (next: number) => {
      now = next;
    },
  };
}

/** Records log lines. */
export class RecordingLogger implements SyncLogger {
  readonly lines: Array<{ level: string; message: string; extra?: Record<string, unknown> | undefined }> = [];
  debug(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'debug', message, extra });
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, extra });
  }
}

/** Records metrics; `total(name)` sums every value recorded under a name. */
export class RecordingMetrics implements SyncMetrics {
  readonly values: Array<{ name: CollectorMetricName; value: number; unit: SyncMetricUnit }> = [];
  count(name: CollectorMetricName, value: number): void {
    this.values.push({ name, value, unit: 'Count' });
  }
  gauge(name: CollectorMetricName, value: number, unit: SyncMetricUnit): void {
    this.values.push({ name, value, unit });
  }
  /** Kinds of the failed runs counted, in order. */
  readonly failureKinds: string[] = [];
  failure(kind: string): void {
    this.failureKinds.push(kind);
  }
  total(name: CollectorMetricName): number {
    return this.values.filter((v) => v.name === name).reduce((sum, v) => sum + v.value, 0);
  }
  has(name: CollectorMetricName): boolean {
    return this.values.some((v) => v.name === name);
  }
}

/** Formats epoch ms as Mimecast does (`2026-11-25T10:15:30+0000`). */
export function mimecastTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+0000`;
}

/** A well-formed raw event at `ms`. */
export function rawEvent(id: string, ms: number, extra: Partial<RawAuditEvent> = {}): RawAuditEvent {
  return {
    id,
    eventTime: mimecastTime(ms),
    auditType: 'User Logged On',
    category: 'authentication_logs',
    user: 'jane@example.com',
    eventInfo:
      'Successful authentication for Jane <jane@example.com>, IP: 203.0.113.7, Application: Administration Console',
    ...extra,
  };
}
