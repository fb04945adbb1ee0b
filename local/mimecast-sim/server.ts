/**
 * The Mimecast API simulator: a strict loopback HTTP server speaking the audit-events API with
 * both authentication modes, deterministic lazy events, paging, rate limiting and faults.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '#core/ports.js';
import type {
  Fault,
  MimecastSimulator,
  RandomFaults,
  ScriptedFault,
  SimEndpoint,
  SimRequestRecord,
  SimulatorOptions,
  StuckRange,
} from './api.js';
import {
  type AuthFailure,
  credentialsForSeed,
  HmacVerifier,
  isPrincipal,
  OAuthTokens,
  type Principal,
} from './auth.js';
import { CATEGORIES } from './catalog.js';
import { EventStore, type Position, type SearchFilter } from './event-store.js';
import { FaultInjector } from './faults.js';
import type { HeldEvent } from './generator.js';
import { type PageCursor, PageTokens, searchHash } from './page-token.js';
import { validateAuditEventsBody } from './request-validation.js';
import {
  BodyTooLargeError,
  dropConnection,
  type Exchange,
  envelope,
  failItem,
  headerValue,
  parseJson,
  readBody,
  sendJson,
  sendRaw,
} from './responses.js';
import { requireClockOffset, requireRange, resolveSettings, resolveStuckRanges } from './settings.js';
import { RateLimiter, type TakeResult } from './token-bucket.js';

const ROUTES: ReadonlyMap<string, SimEndpoint> = new Map([
  ['/oauth/token', 'oauth-token'],
  ['/api/audit/get-audit-events', 'get-audit-events'],
  ['/api/audit/get-categories', 'get-categories'],
]);

function authModeOf(req: IncomingMessage, endpoint: SimEndpoint | 'other'): SimRequestRecord['authMode'] {
  if (endpoint === 'oauth-token') return 'oauth2';
  const authorization = headerValue(req, 'authorization');
  if (authorization.startsWith('Bearer ')) return 'oauth2';
  if (authorization.startsWith('MC ')) return 'hmac';
  return 'none';
}

function rateHeaders(rate: TakeResult | undefined): Record<string, number> {
  if (!rate) return {};
  return {
    'x-ratelimit-limit': rate.limit,
    'x-ratelimit-remaining': rate.remaining,
    'x-ratelimit-reset': rate.resetMs,
  };
}

const MALFORMED_BODY = '{"meta":{"status":200,"pagination":{"pageSize":';

/** Where a search's first page starts: above every event at or before the (inclusive) end. */
const topOf = (endMs: number): Position => ({ timeMs: endMs, seq: Number.MAX_SAFE_INTEGER });

/** True when the request's `[start, end]` overlaps a half-open stuck range (touching does not count). */
const overlapsAny = (ranges: readonly StuckRange[], startMs: number, endMs: number): boolean =>
  ranges.some((range) => startMs < range.endMs && range.startMs < endMs);

/** Starts a simulator on 127.0.0.1 and resolves once it is listening. */
export async function startMimecastSimulator(options: SimulatorOptions = {}): Promise<MimecastSimulator> {
  const settings = resolveSettings(options);
  let clockOffsetMs = settings.clockOffsetMs;
  let stuckRanges = settings.stuckRanges;
  // Mimecast's clock: everything in the simulator reads this one, never settings.clock directly.
  const clock: Clock = { now: () => settings.clock.now() + clockOffsetMs };
  // Makes the tokens of consecutive empty_page faults distinct even when they resume at one place.
  let tokenNonce = 0;
  const derived = credentialsForSeed(settings.seed);
  const credentials = {
    oauth2: options.credentials?.oauth2 ?? derived.oauth2,
    hmac: options.credentials?.hmac ?? derived.hmac,
  };
  const oauth = new OAuthTokens(clock, settings.tokenTtlSeconds, credentials.oauth2);
  const hmac = new HmacVerifier(clock, settings.maxClockSkewSeconds, credentials.hmac);
  const limiter = settings.rateLimit
    ? new RateLimiter(settings.rateLimit.capacity, settings.rateLimit.refillPerSecond)
    : undefined;
  const store = new EventStore({
    seed: settings.seed,
    eventsPerDay: settings.eventsPerDay,
    burstShare: settings.burstShare,
    lateEvents: settings.lateEvents,
  });
  const tailTokens = settings.emptyTailWithNewTokens || settings.emptyLastPageWithNext;
  const faults = new FaultInjector();
  const pageTokens = new PageTokens();
  const records: SimRequestRecord[] = [];
  // Aborted by close(): cuts short slow faults and page latency so close() never waits on them.
  const closing = new AbortController();
  let pageLatencyMs = settings.pageLatencyMs;

  const authenticate = (
    req: IncomingMessage,
    path: string,
    mode: SimRequestRecord['authMode'],
  ): Principal | AuthFailure => {
    if (mode === 'hmac') return hmac.verify(req.headers, path);
    if (mode === 'oauth2') {
      const match = /^Bearer ([^\s]+)$/.exec(headerValue(req, 'authorization'));
      if (match?.[1]) return oauth.verify(match[1]);
      return { mode: 'oauth2', code: 'token_invalid', message: 'Authorization must be "Bearer {token}"' };
    }
    return {
      mode: 'none',
      code: 'missing_authorization',
      message: 'An Authorization header (Bearer token or MC signature) is required',
    };
  };

  const sendAuthFailure = (
    exchange: Exchange,
    failure: Pick<AuthFailure, 'mode' | 'code' | 'message'>,
  ): void => {
    if (failure.mode === 'hmac') {
      sendJson(exchange, 401, envelope(401, [], [failItem(failure.code, failure.message, false)]));
      return;
    }
    // The API 2.0 gateway puts code/message directly on the fail item.
    sendJson(exchange, 401, envelope(401, [], [{ code: failure.code, message: failure.message }]), {
      'www-authenticate': `Bearer error="invalid_token"`,
    });
  };

  /** Applies a fault; `true` when the fault already answered (or dropped) the request. */
  const applyFault = async (exchange: Exchange, fault: Fault, endpoint: SimEndpoint): Promise<boolean> => {
    exchange.record.fault = fault.type;
    switch (fault.type) {
      case 'http_error':
        sendJson(
          exchange,
          fault.status,
          envelope(fault.status, [], [failItem('err_internal_server_error', 'Internal server error', true)]),
        );
        return true;
      case 'rate_limit': {
        const headers: Record<string, string | number> = {
          'x-ratelimit-limit': settings.rateLimit ? settings.rateLimit.capacity : 0,
          'x-ratelimit-remaining': 0,
          'x-ratelimit-reset': fault.resetMs,
        };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        sendJson(
          exchange,
          429,
          envelope(429, [], [failItem('err_throttling_limit', 'Over throttling limit', true)]),
          headers,
        );
        return true;
      }
      case 'binding_expired':
        sendJson(
          exchange,
          418,
          envelope(
            418,
            [],
            [failItem('err_xdk_binding_expired', 'The binding for these keys has expired', false)],
          ),
        );
        return true;
      case 'unauthorized':
        if (endpoint === 'oauth-token') {
          sendJson(exchange, 401, {
            error: 'invalid_client',
            error_description: 'Client authentication failed',
          });
        } else {
          sendAuthFailure(exchange, {
            mode: exchange.record.authMode,
            code: exchange.record.authMode === 'hmac' ? 'err_signature_mismatch' : 'token_invalid',
            message: 'Authentication failed',
          });
        }
        return true;
      case 'fail': {
        const code = fault.code ?? (fault.retryable ? 'err_temporarily_unavailable' : 'err_request_rejected');
        sendJson(
          exchange,
          200,
          envelope(200, [], [failItem(code, 'The request could not be processed', fault.retryable)]),
        );
        return true;
      }
      case 'malformed_json':
        sendRaw(exchange, 200, MALFORMED_BODY);
        return true;
      case 'drop_connection':
        dropConnection(exchange);
        return true;
      case 'slow':
        await sleep(fault.delayMs, undefined, { signal: closing.signal });
        return false;
      case 'repeat_token':
      case 'empty_page':
        // Both change how get-audit-events answers; handleAuditEvents applies them.
        return false;
    }
  };

  const handleToken = async (exchange: Exchange, body: string): Promise<void> => {
    const fault = faults.next('oauth-token');
    if (fault && (await applyFault(exchange, fault, 'oauth-token'))) return;
    const oauthError = (status: number, error: string, description: string): void =>
      sendJson(exchange, status, { error, error_description: description }, { 'cache-control': 'no-store' });
    if (!headerValue(exchange.req, 'content-type').startsWith('application/x-www-form-urlencoded')) {
      oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
      return;
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
      return;
    }
    const clientId = form.get('client_id');
    const clientSecret = form.get('client_secret');
    if (!clientId || !clientSecret) {
      oauthError(400, 'invalid_request', 'client_id and client_secret are required');
      return;
    }
    const issued = oauth.issue(clientId, clientSecret);
    if (!issued) {
      oauthError(401, 'invalid_client', 'Client authentication failed');
      return;
    }
    sendJson(
      exchange,
      200,
      { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn },
      { 'cache-control': 'no-store' },
    );
  };

  const handleCategories = (exchange: Exchange, body: unknown, headers: Record<string, number>): void => {
    const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
    const data = isObject ? (body as Record<string, unknown>).data : undefined;
    if (!isObject || (data !== undefined && !Array.isArray(data))) {
      const error = failItem('err_validation_invalid_format', 'The body must be {"data":[]}', false);
      sendJson(exchange, 200, envelope(200, [], [error]), headers);
      return;
    }
    const categories = CATEGORIES.map(({ code, id, name }) => ({ code, id, name }));
    sendJson(exchange, 200, envelope(200, categories, []), headers);
  };

  /** A get-audit-events answer, serialised, waiting to be sent. */
  interface Answer {
    status: number;
    text: string;
    headers: Record<string, number>;
  }
  const answer = (status: number, payload: unknown, headers: Record<string, number>): Answer => ({
    status,
    text: JSON.stringify(payload),
    headers,
  });

  /**
   * Answers get-audit-events `pageLatencyMs` after the request came in, or as soon as the answer
   * is ready if that takes longer: the latency is the server's whole time to answer, its own work
   * included, as a remote API's is. (Waiting first and working after would add the simulator's
   * own page generation to every page, which benchmark #2 would then charge to the collector.)
   */
  const handleAuditEvents = async (
    exchange: Exchange,
    body: unknown,
    headers: Record<string, number>,
    fault: Fault['type'] | undefined,
  ): Promise<void> => {
    const latencyMs = pageLatencyMs;
    const arrived = performance.now();
    const reply = answerAuditEvents(exchange, body, headers, fault);
    const wait = latencyMs - (performance.now() - arrived);
    if (wait > 0) await sleep(wait, undefined, { signal: closing.signal });
    sendRaw(exchange, reply.status, reply.text, reply.headers);
  };

  const answerAuditEvents = (
    exchange: Exchange,
    body: unknown,
    headers: Record<string, number>,
    fault: Fault['type'] | undefined,
  ): Answer => {
    const now = clock.now();
    const validation = validateAuditEventsBody(body, {
      now,
      historyMs: settings.historyMs,
      maxPageSize: settings.maxPageSize,
      retentionErrorCode: settings.retentionErrorCode,
    });
    if (!validation.ok) {
      return answer(200, envelope(200, [], [{ key: validation.key, errors: validation.errors }]), headers);
    }
    const request = validation.request;
    exchange.record.pageToken = request.pageToken;
    exchange.record.pageSize = request.pageSize;
    const hash = searchHash(request);
    let cursor: PageCursor | undefined;
    if (request.pageToken !== undefined) {
      cursor = pageTokens.decode(request.pageToken);
      const problem = !cursor
        ? 'pageToken is not a token this server issued'
        : cursor.searchHash !== hash
          ? 'pageToken belongs to a different search (window, categories or query changed)'
          : undefined;
      if (problem) {
        const error = {
          code: 'err_validation_invalid_page_token',
          field: 'pageToken',
          message: problem,
          retryable: false,
        };
        return answer(200, envelope(200, [], [{ key: request.key, errors: [error] }]), headers);
      }
    }
    // Later pages answer as of the first page's time, so late arrivals cannot shift the pages.
    const asOf = cursor?.asOf ?? now;
    const page = (events: HeldEvent[], next: string | undefined): Answer => {
      exchange.record.returned = events.length;
      const pagination =
        next === undefined ? { pageSize: request.pageSize } : { pageSize: request.pageSize, next };
      return answer(
        200,
        envelope(
          200,
          events.map((held) => held.event),
          [],
          pagination,
        ),
        headers,
      );
    };
    if (fault === 'empty_page') {
      // Nothing this time, and a new token for exactly the page that was asked for.
      tokenNonce += 1;
      const resume: PageCursor =
        cursor?.exhausted !== undefined
          ? { searchHash: hash, asOf, exhausted: cursor.exhausted, nonce: tokenNonce }
          : { searchHash: hash, asOf, position: cursor?.position ?? topOf(request.endMs), nonce: tokenNonce };
      return page([], pageTokens.encode(resume));
    }
    const filter: SearchFilter = {
      startMs: request.startMs,
      endMs: request.endMs,
      asOf,
      floorMs: now - settings.historyMs,
      categories: request.categories.length > 0 ? new Set(request.categories) : undefined,
      text: request.query?.toLowerCase(),
    };
    let events: HeldEvent[] = [];
    let next: string | undefined;
    if (cursor?.exhausted !== undefined) {
      if (settings.emptyTailWithNewTokens) {
        next = pageTokens.encode({ searchHash: hash, asOf, exhausted: cursor.exhausted + 1 });
      } else if (settings.emptyLastPageWithNext) {
        // The cursor does not move: the same token back says "nothing more".
        next = request.pageToken;
      }
    } else {
      const found = store.searchNewestFirst(filter, cursor?.position, request.pageSize + 1);
      const more = found.length > request.pageSize;
      events = more ? found.slice(0, request.pageSize) : found;
      const last = events[events.length - 1];
      if (more && last) {
        next = pageTokens.encode({
          searchHash: hash,
          asOf,
          position: { timeMs: last.timeMs, seq: last.seq },
        });
      } else if (tailTokens) {
        next = pageTokens.encode({ searchHash: hash, asOf, exhausted: 1 });
      }
    }
    if (request.pageToken !== undefined) {
      if (fault === 'repeat_token') next = request.pageToken;
      else if (
        overlapsAny(stuckRanges, request.startMs, request.endMs) &&
        // Only searches that need several pages get stuck, so narrowing the window is a way out.
        store.searchNewestFirst(filter, undefined, request.pageSize + 1).length > request.pageSize
      ) {
        next = request.pageToken;
      }
    }
    return page(events, next);
  };

  const handleApi = async (
    exchange: Exchange,
    endpoint: SimEndpoint,
    path: string,
    body: string,
  ): Promise<void> => {
    const auth = authenticate(exchange.req, path, exchange.record.authMode);
    if (!isPrincipal(auth)) {
      sendAuthFailure(exchange, auth);
      return;
    }
    const fault = faults.next(endpoint);
    if (fault && (await applyFault(exchange, fault, endpoint))) return;
    const rate = limiter?.take(auth.key, clock.now());
    const headers = rateHeaders(rate);
    if (rate && !rate.allowed) {
      sendJson(
        exchange,
        429,
        envelope(429, [], [failItem('err_throttling_limit', 'Over throttling limit', true)]),
        headers,
      );
      return;
    }
    if (!headerValue(exchange.req, 'content-type').startsWith('application/json')) {
      const error = failItem('err_unsupported_media_type', 'Content-Type must be application/json', false);
      sendJson(exchange, 415, envelope(415, [], [error]), headers);
      return;
    }
    const parsed = parseJson(body);
    if (!parsed.ok) {
      const error = failItem('err_request_malformed_json', 'The request body is not valid JSON', false);
      sendJson(exchange, 400, envelope(400, [], [error]), headers);
      return;
    }
    if (endpoint === 'get-categories') handleCategories(exchange, parsed.value, headers);
    else await handleAuditEvents(exchange, parsed.value, headers, fault?.type);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const endpoint = ROUTES.get(path) ?? 'other';
    const record: SimRequestRecord = {
      at: clock.now(),
      endpoint,
      authMode: authModeOf(req, endpoint),
      status: 0,
    };
    records.push(record);
    const exchange: Exchange = { req, res, record, now: () => clock.now() };
    try {
      if (endpoint === 'other') {
        sendJson(exchange, 404, envelope(404, [], [{ code: 'not_found', message: 'No such endpoint' }]));
        return;
      }
      if (req.method !== 'POST') {
        sendJson(exchange, 405, envelope(405, [], [{ code: 'method_not_allowed', message: 'Use POST' }]), {
          allow: 'POST',
        });
        return;
      }
      const body = await readBody(req);
      if (endpoint === 'oauth-token') await handleToken(exchange, body);
      else await handleApi(exchange, endpoint, path, body);
    } catch (err: unknown) {
      if (closing.signal.aborted) {
        dropConnection(exchange);
      } else if (err instanceof BodyTooLargeError) {
        sendJson(
          exchange,
          413,
          envelope(413, [], [failItem('err_request_too_large', 'Request body too large', false)]),
        );
      } else {
        // A simulator bug: answer 500 so the test sees it, and say why on stderr.
        console.error('mimecast-sim: internal error', err);
        sendJson(
          exchange,
          500,
          envelope(500, [], [failItem('err_simulator_internal', 'Simulator error', true)]),
        );
      }
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: settings.port, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('mimecast-sim: unexpected server address');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  let closed: Promise<void> | undefined;

  return {
    baseUrl,
    secrets: {
      oauth2: {
        baseUrl,
        clientId: credentials.oauth2.clientId,
        clientSecret: credentials.oauth2.clientSecret,
      },
      hmac: { baseUrl, ...credentials.hmac },
    },
    groundTruth(start: Date, end: Date) {
      return store
        .happenedBetween(start.getTime(), end.getTime(), clock.now())
        .map((held) => ({ ...held.event }));
    },
    addEvents(events, visibleAt) {
      store.add(events, visibleAt?.getTime(), clock.now());
    },
    scriptFaults(...scripted: ScriptedFault[]) {
      faults.script(scripted);
    },
    setRandomFaults(random: RandomFaults | undefined) {
      faults.setRandom(random);
    },
    setPageLatency(ms: number) {
      pageLatencyMs = requireRange('pageLatencyMs', ms, 0);
    },
    setClockOffset(ms: number) {
      clockOffsetMs = requireClockOffset(ms);
    },
    setStuckRanges(ranges: readonly StuckRange[]) {
      stuckRanges = resolveStuckRanges(ranges);
    },
    requests() {
      return records.map((record) => ({ ...record }));
    },
    clearRequests() {
      records.length = 0;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
