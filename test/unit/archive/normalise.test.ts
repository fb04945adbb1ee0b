import { describe, expect, it } from 'vitest';
import { normaliseEvent } from '#core/archive/normalise.js';
import type { RawAuditEvent } from '#core/mimecast/types.js';

const ctx = { source: 'default', collectedAt: '2026-11-25T12:00:00Z' };

const loginEvent: RawAuditEvent = {
  id: 'eNoVzrEOgjAUBdB_6dwgtJSSbgaNMXFgMA5uz8fFNAGtrf2uRYwOnZr6y5Ztj4==',
  auditType: 'User Logged On',
  user: 'jane@example.com',
  eventTime: '2021-10-11T17:17:30+0000',
  eventInfo:
    'Successful authentication for Jane <jane@example.com>, Date: 2021-10-11, Time: 18:17:30 BST, IP: 203.0.113.7, Application: Administration Console, Method: Two Step Auth, 2FA: TOTP',
  category: 'authentication_logs',
};

describe('normaliseEvent', () => {
  it('maps a documented event onto every record field', () => {
    // Act
    const result = normaliseEvent(loginEvent, ctx);

    // Assess
    expect(result).toEqual({
      ok: true,
      eventTimeMs: Date.UTC(2021, 9, 11, 17, 17, 30),
      record: {
        id: loginEvent.id,
        event_time: '2021-10-11T17:17:30Z',
        category: 'authentication_logs',
        audit_type: 'User Logged On',
        actor: 'jane@example.com',
        event_info: loginEvent.eventInfo,
        details: {
          summary: 'Successful authentication for Jane <jane@example.com>',
          date: '2021-10-11',
          time: '18:17:30 BST',
          ip: '203.0.113.7',
          application: 'Administration Console',
          method: 'Two Step Auth',
          '2fa': 'TOTP',
          email_addresses: 'jane@example.com',
        },
        extra: {},
        source: 'default',
        collected_at: '2026-11-25T12:00:00Z',
      },
    });
  });

  it('converts eventTime offsets to UTC and drops sub-second digits from both the text and the instant', () => {
    // Act
    const result = normaliseEvent({ id: 'a', eventTime: '2026-01-01T01:30:05.987+0200' }, ctx);

    // Assess
    expect(result.ok && result.record.event_time).toBe('2025-12-31T23:30:05Z');
    expect(result.ok && result.eventTimeMs).toBe(Date.UTC(2025, 11, 31, 23, 30, 5));
  });

  it('keeps fields it does not know in extra, verbatim', () => {
    // Prepare
    const raw: RawAuditEvent = {
      ...loginEvent,
      ipAddress: '203.0.113.7',
      nested: { a: [1, 'b', null] },
      flag: false,
    };

    // Act
    const result = normaliseEvent(raw, ctx);

    // Assess
    expect(result.ok && result.record.extra).toEqual({
      ipAddress: '203.0.113.7',
      nested: { a: [1, 'b', null] },
      flag: false,
    });
  });

  it('sets absent or non-text fields to null and keeps non-text originals in extra', () => {
    // Prepare
    const raw: RawAuditEvent = {
      id: 'x1',
      eventTime: '2026-11-25T10:15:30Z',
      user: { email: 'a@b' },
      category: 7,
      auditType: null,
    };

    // Act
    const result = normaliseEvent(raw, ctx);

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record).toMatchObject({
      actor: null,
      category: null,
      audit_type: null,
      event_info: null,
      details: {},
    });
    expect(result.record.extra).toEqual({ user: { email: 'a@b' }, category: 7 });
  });

  it('reports a missing, blank or non-text id instead of inventing one', () => {
    for (const id of [undefined, null, '', '   ', { v: 1 }, 1.5, Number.MAX_SAFE_INTEGER + 2]) {
      expect(normaliseEvent({ id, eventTime: '2026-11-25T10:15:30Z' }, ctx)).toEqual({
        ok: false,
        reason: 'missing_id',
      });
    }
  });

  it('accepts a safe-integer id as its decimal string', () => {
    const result = normaliseEvent({ id: 12345, eventTime: '2026-11-25T10:15:30Z' }, ctx);
    expect(result.ok && result.record.id).toBe('12345');
  });

  it('reports an unparseable or implausible eventTime with the id so the event stays findable', () => {
    for (const eventTime of [
      undefined,
      'yesterday',
      1637000000,
      '2021-02-30T00:00:00Z',
      '0001-01-01T00:00:00Z',
    ]) {
      expect(normaliseEvent({ id: 'bad-1', eventTime }, ctx)).toEqual({
        ok: false,
        reason: 'bad_event_time',
        id: 'bad-1',
      });
    }
  });

  it('treats a value that is not an object as an event without id', () => {
    for (const raw of [null, 'text', 42, ['id']]) {
      expect(normaliseEvent(raw as unknown as RawAuditEvent, ctx)).toEqual({
        ok: false,
        reason: 'missing_id',
      });
    }
  });

  it('keeps a field named __proto__ as data without touching any prototype', () => {
    // Prepare: JSON.parse creates an own `__proto__` property, as the HTTP client would.
    const raw = JSON.parse(
      '{"id":"p1","eventTime":"2026-11-25T10:15:30Z","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    ) as RawAuditEvent;

    // Act
    const result = normaliseEvent(raw, ctx);

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result.record.extra)).toBe(Object.prototype);
    expect(Object.keys(result.record.extra)).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(result.record.extra))).toEqual(
      JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
    );
  });

  it('keeps extra fields in the order Mimecast sent them, then non-text originals of the named columns', () => {
    // Prepare
    const raw = JSON.parse(
      '{"zeta":1,"id":"o1","user":7,"alpha":2,"eventTime":"2026-11-25T10:15:30Z","category":false,"mid":3}',
    ) as RawAuditEvent;

    // Act
    const result = normaliseEvent(raw, ctx);

    // Assess
    expect(result.ok && JSON.stringify(result.record.extra)).toBe(
      '{"zeta":1,"alpha":2,"mid":3,"category":false,"user":7}',
    );
  });

  it('takes only the event’s own fields into extra, not inherited ones', () => {
    // Prepare
    const raw = Object.assign(Object.create({ inherited: 'no' }) as RawAuditEvent, {
      id: 'i1',
      eventTime: '2026-11-25T10:15:30Z',
      own: 'yes',
    });

    // Act
    const result = normaliseEvent(raw, ctx);

    // Assess
    expect(result.ok && result.record.extra).toEqual({ own: 'yes' });
  });

  it('gives each event its own second when events of different seconds interleave', () => {
    // Prepare
    const times = [
      '2026-11-25T10:15:30+0000',
      '2026-11-25T10:15:30+0000',
      '2026-11-25T10:15:31+0000',
      '2026-11-25T10:15:30.500+0000',
      '2026-11-25T12:15:30+0200',
      '2027-01-01T00:00:00+0000',
    ];

    // Act
    const eventTimes = times.map((eventTime, i) => {
      const result = normaliseEvent({ id: `t${i}`, eventTime }, ctx);
      return result.ok ? [result.record.event_time, result.eventTimeMs] : undefined;
    });

    // Assess
    expect(eventTimes).toEqual([
      ['2026-11-25T10:15:30Z', Date.UTC(2026, 10, 25, 10, 15, 30)],
      ['2026-11-25T10:15:30Z', Date.UTC(2026, 10, 25, 10, 15, 30)],
      ['2026-11-25T10:15:31Z', Date.UTC(2026, 10, 25, 10, 15, 31)],
      ['2026-11-25T10:15:30Z', Date.UTC(2026, 10, 25, 10, 15, 30)],
      ['2026-11-25T10:15:30Z', Date.UTC(2026, 10, 25, 10, 15, 30)],
      ['2027-01-01T00:00:00Z', Date.UTC(2027, 0, 1)],
    ]);
  });
});
