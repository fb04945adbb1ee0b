import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_DETAIL_KEYS,
  MAX_DETAIL_VALUE_CHARS,
  MAX_EMAIL_ADDRESSES,
  MAX_EVENT_INFO_PARSE_CHARS,
  normaliseDetailKey,
  parseEventInfo,
  SUMMARY_KEY,
} from '#core/archive/event-info.js';
import { parseMimecastTime, toIsoSeconds } from '#core/time.js';

/**
 * The generic parsing rules written as plainly as possible (a regex split, a regex for labels,
 * verbatim slices, no caching), as the model the real parser is checked against on texts without
 * the block's labels, action phrases, file labels or addresses (those have their own tests).
 */
function referenceParse(text: string): Record<string, string> {
  if (text.trim() === '') return {};
  const t = text.slice(0, MAX_EVENT_INFO_PARSE_CHARS);
  const clip = (v: string) => v.slice(0, MAX_DETAIL_VALUE_CHARS);
  const segments: [number, number][] = [];
  let from = 0;
  for (const m of t.matchAll(/,(?=[ \t,\r\n]|$)|[\r\n]/g)) {
    segments.push([from, m.index]);
    from = m.index + 1;
  }
  segments.push([from, t.length]);
  const pieces: { key: string; start: number; value: number; end: number }[] = [];
  for (const [start, end] of segments) {
    const segment = t.slice(start, end);
    const m = /^(.*?):(?=[ \t]|$)/s.exec(segment);
    const label = m?.[1]?.trim() ?? '';
    const key =
      m && /^[\p{L}\p{N}][\p{L}\p{N} _\-./()#&']{0,47}$/u.test(label) ? normaliseDetailKey(label) : '';
    if (m && key !== '') pieces.push({ key, start, value: start + m[0].length, end });
    else if (segment.trim() !== '') pieces.push({ key: '', start, value: start, end });
  }
  const value = (from: number, to: number) => {
    let v = t.slice(from, to).trim();
    while (v.startsWith(':') && (v.length === 1 || /^:[ \t\r\n]/.test(v))) v = v.slice(1).trim();
    return clip(v);
  };
  const details = new Map<string, string>();
  let owner: { key: string; value: number; end: number } | undefined;
  let lead: [number, number] | undefined;
  let labelled = false;
  for (const piece of pieces) {
    if (piece.key === '') {
      if (owner) owner.end = piece.end;
      else if (!labelled) lead = [lead?.[0] ?? piece.start, piece.end];
      continue;
    }
    if (owner) details.set(owner.key, value(owner.value, owner.end));
    owner = undefined;
    if (!labelled && lead) details.set(SUMMARY_KEY, clip(t.slice(lead[0], lead[1]).trim()));
    labelled = true;
    if (details.size >= MAX_DETAIL_KEYS) break;
    let unique = piece.key;
    for (let n = 2; details.has(unique); n += 1) unique = `${piece.key}_${n}`;
    details.set(unique, '');
    owner = { key: unique, value: piece.value, end: piece.end };
  }
  if (owner) details.set(owner.key, value(owner.value, owner.end));
  if (!labelled && lead) details.set(SUMMARY_KEY, clip(t.slice(lead[0], lead[1]).trim()));
  return Object.fromEntries(details);
}

describe('parseEventInfo', () => {
  it('splits the documented authentication sample into a summary and labelled fields', () => {
    // Prepare
    const text =
      'Successful authentication for Jane <jane@example.com>, Date: 2021-10-11, Time: 18:17:30 BST, IP: 203.0.113.7, Application: Administration Console, Method: Two Step Auth, 2FA: TOTP';

    // Act
    const details = parseEventInfo(text);

    // Assess
    expect(details).toEqual({
      summary: 'Successful authentication for Jane <jane@example.com>',
      date: '2021-10-11',
      time: '18:17:30 BST',
      ip: '203.0.113.7',
      application: 'Administration Console',
      method: 'Two Step Auth',
      '2fa': 'TOTP',
      email_addresses: 'jane@example.com',
    });
  });

  it('keeps commas inside a value by appending unlabelled segments to the previous value', () => {
    // Prepare
    const text = 'Subject: Invoice, final, please pay, Source IP: 198.51.100.4, Reason: Bad password, locked';

    // Act
    const details = parseEventInfo(text);

    // Assess
    expect(details).toEqual({
      subject: 'Invoice, final, please pay',
      source_ip: '198.51.100.4',
      reason: 'Bad password, locked',
    });
  });

  it('does not mistake clock times or URLs inside a value for new labels', () => {
    // Prepare
    const text = 'Search Reason: audit, Time: 09:15:00, Link: https://example.com/a?b=c, extra';

    // Act
    const details = parseEventInfo(text);

    // Assess
    expect(details).toEqual({
      search_reason: 'audit',
      time: '09:15:00',
      link: 'https://example.com/a?b=c, extra',
    });
  });

  it('keeps a text without any label as the summary', () => {
    expect(parseEventInfo('Directory sync completed')).toEqual({ summary: 'Directory sync completed' });
  });

  it('suffixes repeated labels instead of overwriting them', () => {
    expect(parseEventInfo('Recipient: a, Recipient: b, Recipient: c')).toEqual({
      recipient: 'a',
      recipient_2: 'b',
      recipient_3: 'c',
    });
  });

  it('takes a repeated IP only from the last block; the earlier ones stay text', () => {
    // Changed: the old parser gave ip, ip_2, ip_3 (first one wins), which let a subject spoof `ip`.
    expect(parseEventInfo('IP: 192.0.2.1, IP: 192.0.2.2, IP: 192.0.2.3')).toEqual({
      summary: 'IP: 192.0.2.1, IP: 192.0.2.2',
      ip: '192.0.2.3',
    });
  });

  it('accepts a trailing label with an empty value', () => {
    expect(parseEventInfo('Action: deleted, Comment:')).toEqual({ action: 'deleted', comment: '' });
  });

  it('returns an empty map for anything that is not non-blank text', () => {
    for (const value of [undefined, null, 42, {}, [], '', '   ']) {
      expect(parseEventInfo(value)).toEqual({});
    }
  });

  it('cannot pollute prototypes whatever the labels say', () => {
    // Prepare
    const text = '__proto__: polluted, constructor: x, prototype: y, hasOwnProperty: z';

    // Act
    const details = parseEventInfo(text);

    // Assess
    expect(Object.getPrototypeOf(details)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // `__proto__` does not look like a label (labels start with a letter or digit): it stays text.
    expect(Object.keys(details)).toEqual(['summary', 'constructor', 'prototype', 'hasownproperty']);
    expect(details.summary).toBe('__proto__: polluted');
    expect(details.constructor).toBe('x');
  });

  it('bounds the number of keys and the length of values for hostile input', () => {
    // Prepare
    const manyKeys = Array.from({ length: 500 }, (_, i) => `Key${i}: v${i}`).join(', ');
    const hugeValue = `Subject: ${'A'.repeat(5_000_000)}`;
    const endlessContinuation = `Subject: x${', y'.repeat(200_000)}`;

    // Act
    const fromManyKeys = parseEventInfo(manyKeys);
    const fromHugeValue = parseEventInfo(hugeValue);
    const fromContinuation = parseEventInfo(endlessContinuation);

    // Assess
    expect(Object.keys(fromManyKeys)).toHaveLength(MAX_DETAIL_KEYS);
    expect(fromManyKeys.key0).toBe('v0');
    expect(fromHugeValue.subject).toHaveLength(MAX_DETAIL_VALUE_CHARS);
    expect(fromContinuation.subject?.length).toBeLessThanOrEqual(MAX_DETAIL_VALUE_CHARS);
  });

  it('never throws and always returns bounded string values (property)', () => {
    const separatorHeavy = fc.array(
      fc.constantFrom(', ', ': ', ':', ',', ' ', 'a', 'Ü', '\u0000', '\n', '__proto__'),
      {
        maxLength: 200,
      },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 500 }),
          separatorHeavy.map((parts) => parts.join('')),
        ),
        (text) => {
          const details = parseEventInfo(text);
          const entries = Object.entries(details);
          expect(entries.length).toBeLessThanOrEqual(MAX_DETAIL_KEYS);
          for (const [key, value] of entries) {
            expect(key).toMatch(/^[\p{L}\p{N}]+(_[\p{L}\p{N}]+)*$/u);
            expect(typeof value).toBe('string');
            expect(value.length).toBeLessThanOrEqual(MAX_DETAIL_VALUE_CHARS);
          }
        },
      ),
      { seed: 20261125, numRuns: 500 },
    );
  });

  it('gives exactly what the plain split-and-match rules give on generic texts, keys in the same order (property)', () => {
    const pieces = fc.constantFrom(
      ', ',
      ': ',
      ':',
      ',',
      ' ',
      '\t',
      '\u00a0',
      '\n',
      'a',
      '\r',
      'Sender',
      'Source',
      '2FA',
      'İ',
      'ß',
      'Größe',
      '(x)',
      "'",
      '__proto__',
      'constructor',
      '7',
      'summary',
      'Summary',
      '12:30',
      'x'.repeat(47),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.array(pieces, { maxLength: 150 }).map((parts) => parts.join('')),
        ),
        (text) => {
          // Outside this model: the block's labels, action phrases, file labels, addresses.
          fc.pre(!/date|time|ip|application|remote|file| - |@/i.test(text));
          const details = parseEventInfo(text);
          const expected = referenceParse(text);
          expect(details).toEqual(expected);
          expect(Object.keys(details)).toEqual(Object.keys(expected));
        },
      ),
      { seed: 20261126, numRuns: 2_000 },
    );
  });

  it('parses the same way however many distinct labels it has seen before', () => {
    // Prepare: more distinct labels than any cache would keep, then the first ones again.
    const texts = Array.from({ length: 3_000 }, (_, i) => `Event ${i}, Label ${i}: v, Note ${i % 7}: w`);

    // Act
    const first = texts.map((text) => parseEventInfo(text));
    const again = texts.map((text) => parseEventInfo(text));

    // Assess
    expect(first).toEqual(texts.map(referenceParse));
    expect(again).toEqual(first);
    expect(first[2_999]).toEqual({ summary: 'Event 2999', label_2999: 'v', note_3: 'w' });
  });
});

const BLOCK =
  'Date: 2026-11-25, Time: 10:15:30+0000, IP: 203.0.113.7, Application: Mimecast Administration Console';
const TRUSTED = {
  date: '2026-11-25',
  time: '10:15:30+0000',
  ip: '203.0.113.7',
  application: 'Mimecast Administration Console',
  event_created: '2026-11-25T10:15:30Z',
};
const trusted = (details: Record<string, string>) => ({
  date: details.date,
  time: details.time,
  ip: details.ip,
  application: details.application,
  event_created: details.event_created,
});

describe('parseEventInfo: the trailing Date/Time/IP/Application block', () => {
  it('takes date, time, ip and application from the last block, not from a subject that imitates it', () => {
    // Prepare
    const text = `Message released - Subject: hi, IP: 6.6.6.6, Application: evil, Sender: a@example.com, ${BLOCK}`;

    // Act
    const details = parseEventInfo(text);

    // Assess: the look-alikes stay in the subject, verbatim.
    expect(details).toEqual({
      action: 'Message released',
      subject: 'hi, IP: 6.6.6.6, Application: evil',
      sender: 'a@example.com',
      ...TRUSTED,
      email_addresses: 'a@example.com',
    });
  });

  it('stops the block at a label that is out of Mimecast’s order, repeated or not one of its labels', () => {
    // A planted IP right before a block that starts with Date cannot join it (IP comes after Date).
    expect(parseEventInfo('Subject: x, IP: 6.6.6.6, Date: 2026-11-25, Time: 10:15:30Z')).toEqual({
      subject: 'x, IP: 6.6.6.6',
      date: '2026-11-25',
      time: '10:15:30Z',
      event_created: '2026-11-25T10:15:30Z',
    });
    // Application, then Remote IP is: Mimecast's API form.
    expect(parseEventInfo('Application : API, Remote IP is 198.51.100.3')).toEqual({
      application: 'API',
      ip: '198.51.100.3',
    });
    // Labels after the block (Method, 2FA, Reason) are ordinary labels.
    expect(parseEventInfo(`Failed, ${BLOCK}, Reason: Bad password, locked`)).toMatchObject({
      ...TRUSTED,
      reason: 'Bad password, locked',
    });
  });

  it('reads lines without commas, with new lines, a doubled colon or a space before the colon', () => {
    expect(
      parseEventInfo(
        'Logon Authentication Failed Date: 2026-11-25 Time: 10:15:30+0000 IP: 198.51.100.4 Application: Outlook',
      ),
    ).toEqual({
      action: 'Logon Authentication Failed',
      date: '2026-11-25',
      time: '10:15:30+0000',
      ip: '198.51.100.4',
      application: 'Outlook',
      event_created: '2026-11-25T10:15:30Z',
    });
    expect(parseEventInfo('Logon\nDate: 2026-11-25\r\nTime: 10:15:30 GMT\nIP: 198.51.100.5')).toEqual({
      summary: 'Logon',
      date: '2026-11-25',
      time: '10:15:30 GMT',
      ip: '198.51.100.5',
      event_created: '2026-11-25T10:15:30Z',
    });
    expect(parseEventInfo('IP: : 198.51.100.2,,')).toEqual({ ip: '198.51.100.2' });
    expect(parseEventInfo('Remote IP is 198.51.100.9')).toEqual({ ip: '198.51.100.9' });
    // `Remote IP is` only before an address: English stays text.
    expect(parseEventInfo('Reason: Remote IP is blocked')).toEqual({ reason: 'Remote IP is blocked' });
    // One block label inside a longer label is no comma-less line: `Source IP` stays a label.
    expect(parseEventInfo('Source IP: 198.51.100.4, Note: x')).toEqual({
      source_ip: '198.51.100.4',
      note: 'x',
    });
  });

  it('splits an action phrase off the first label', () => {
    expect(parseEventInfo(`Viewed Message - Source: Search, Subject: hi - there: x, ${BLOCK}`)).toEqual({
      action: 'Viewed Message',
      source: 'Search',
      subject: 'hi - there: x',
      ...TRUSTED,
    });
  });

  // An outsider controls the subject: whatever it is, the block decides.
  const hostile = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc
      .array(
        fc.constantFrom(
          ', ',
          ',',
          ': ',
          ' : ',
          ':',
          '\n',
          '\r\n',
          ' ',
          ' - ',
          'Date',
          'Time',
          'IP',
          'ip',
          'Application',
          'Remote IP is ',
          '6.6.6.6',
          '1999-01-01',
          '00:00:00+0000',
          'evil',
          'Event Created',
          'Subject',
          '@',
          'x@evil.example',
          '(1 KB)',
          '__proto__',
        ),
        { maxLength: 60 },
      )
      .map((parts) => parts.join('')),
  );
  const lines = [
    (s: string) => `Message released - Subject: ${s}, Sender: a@example.com, ${BLOCK}`,
    (s: string) => `Held message viewed, Subject: ${s}, ${BLOCK}`,
    (s: string) =>
      `Successful authentication for ${s} <jane@example.com>, ${BLOCK}, Method: Two Step Auth, 2FA: TOTP`,
    (s: string) =>
      `Logon Authentication Failed Subject: ${s} Date: 2026-11-25 Time: 10:15:30+0000 IP: 203.0.113.7 Application: Mimecast Administration Console`,
    (s: string) =>
      `Subject: ${s}\nDate: 2026-11-25\nTime: 10:15:30+0000\nIP: 203.0.113.7\nApplication: Mimecast Administration Console`,
  ];

  it('never lets a subject change date, time, ip, application or event_created (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...lines), hostile, (line, subject) => {
        expect(trusted(parseEventInfo(line(subject)))).toEqual(TRUSTED);
      }),
      { seed: 20261201, numRuns: 3_000 },
    );
  });

  it('never lets a subject change ip or application before a block without Date and Time (property)', () => {
    fc.assert(
      fc.property(hostile, (subject) => {
        const details = parseEventInfo(
          `Message released, Subject: ${subject}, IP: 203.0.113.7, Application: Outlook`,
        );
        expect([details.ip, details.application]).toEqual(['203.0.113.7', 'Outlook']);
      }),
      { seed: 20261202, numRuns: 2_000 },
    );
  });

  it('keeps the block of a text longer than the parse limit, and its room among many labels', () => {
    // Prepare
    const long = `Subject: ${'A, IP: 6.6.6.6, '.repeat(10_000)}, ${BLOCK}`;
    const crowded = `${Array.from({ length: 200 }, (_, i) => `Key${i}: v`).join(', ')}, ${BLOCK}`;

    // Act
    const fromLong = parseEventInfo(long);
    const fromCrowded = parseEventInfo(crowded);

    // Assess
    expect(long.length).toBeGreaterThan(MAX_EVENT_INFO_PARSE_CHARS);
    expect(trusted(fromLong)).toEqual(TRUSTED);
    expect(fromLong.subject).toHaveLength(MAX_DETAIL_VALUE_CHARS);
    expect(trusted(fromCrowded)).toEqual(TRUSTED);
    expect(Object.keys(fromCrowded)).toHaveLength(MAX_DETAIL_KEYS);
  });
});

describe('parseEventInfo: derived keys', () => {
  const created = (time: string, date = '2026-11-25') =>
    parseEventInfo(`Date: ${date}, Time: ${time}, IP: 192.0.2.1`).event_created;

  it('gives event_created in UTC only when the block’s Date and Time carry a zone it can read', () => {
    expect(created('10:15:30+0000')).toBe('2026-11-25T10:15:30Z');
    expect(created('10:15:30 +00:00')).toBe('2026-11-25T10:15:30Z');
    expect(created('11:15:30+01')).toBe('2026-11-25T10:15:30Z');
    expect(created('15:45:30+0530')).toBe('2026-11-25T10:15:30Z');
    expect(created('05:15:30 -05')).toBe('2026-11-25T10:15:30Z');
    expect(created('10:15:30Z')).toBe('2026-11-25T10:15:30Z');
    expect(created('10:15:30 UTC')).toBe('2026-11-25T10:15:30Z');
    expect(created('10:15:30.250 GMT')).toBe('2026-11-25T10:15:30Z');
    expect(created('00:15:30+0100', '2026-01-01')).toBe('2025-12-31T23:15:30Z');
    // No zone, a named zone (BST is British or Bangladeshi), impossible values: never a guess.
    for (const time of [
      '10:15:30',
      '18:17:30 BST',
      '10:15:30 CET',
      '25:00:00Z',
      '10:15:30+2500',
      '10:15:30+1',
    ]) {
      expect(created(time), time).toBeUndefined();
    }
    expect(created('10:15:30Z', '2026-02-30')).toBeUndefined();
    expect(created('10:15:30Z', '25/11/2026')).toBeUndefined();
  });

  it('gives event_created exactly when the ISO 8601 instant the Date and Time spell exists (property)', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    const zones = fc.oneof(
      fc.constantFrom(
        'Z',
        'z',
        ' UTC',
        'GMT',
        ' gmt',
        '',
        ' BST',
        ' CET',
        'UTC+',
        '+0',
        '+000',
        '+00:',
        ' Zulu',
      ),
      fc
        .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 70 }))
        .chain(([sign, h, m]) =>
          fc.constantFrom(
            `${sign}${two(h)}${two(m)}`,
            `${sign}${two(h)}:${two(m)}`,
            ` ${sign}${two(h)}`,
            `UTC${sign}${two(h)}:${two(m)}`,
          ),
        ),
    );
    const fields = fc.record({
      y: fc.oneof(fc.integer({ min: 1960, max: 2101 }), fc.integer({ min: 0, max: 9999 })),
      mo: fc.integer({ min: 0, max: 13 }),
      d: fc.integer({ min: 0, max: 32 }),
      h: fc.integer({ min: 0, max: 25 }),
      mi: fc.integer({ min: 0, max: 60 }),
      s: fc.integer({ min: 0, max: 60 }),
      frac: fc.constantFrom('', '.5', '.123456789', '.1234567890', '.'),
    });
    fc.assert(
      fc.property(fields, zones, ({ y, mo, d, h, mi, s, frac }, zone) => {
        const date = `${String(y).padStart(4, '0')}-${two(mo)}-${two(d)}`;
        const clock = `${two(h)}:${two(mi)}:${two(s)}`;
        const details = parseEventInfo(`Date: ${date}, Time: ${clock}${frac}${zone}`);
        // The model: the zone as an ISO 8601 designator, then the project's eventTime parser.
        const m = /^\s*(?:(?:z|utc|gmt)|(?:utc|gmt)?([+-]\d\d(?::?\d\d)?))$/i.exec(zone);
        const iso = m ? `${date}T${clock}${frac}${m[1] ?? 'Z'}` : undefined;
        const ms = iso === undefined || s > 59 ? undefined : parseMimecastTime(iso);
        const expected =
          ms === undefined || ms < Date.UTC(1970, 0, 1) || ms > Date.UTC(9999, 11, 31, 23, 59, 59) || y < 1970
            ? undefined
            : toIsoSeconds(new Date(ms));
        expect(details.event_created).toBe(expected);
      }),
      { seed: 20261203, numRuns: 5_000 },
    );
  });

  it('reads file names and sizes, 1024-based, rounded to whole bytes', () => {
    expect(parseEventInfo('Exported 3 messages to file: audit-2026-11.csv (12.4 MB)')).toEqual({
      action: 'Exported 3 messages',
      file_name: 'audit-2026-11.csv',
      file_size: '12.4 MB',
      file_extension: 'csv',
      file_size_bytes: '13002342',
    });
    expect(parseEventInfo('File Name: x.ZIP, File Size: 1024')).toEqual({
      file_name: 'x.ZIP',
      file_size: '1024',
      file_extension: 'zip',
      file_size_bytes: '1024',
    });
    const bytes = (size: string) => parseEventInfo(`File Size: ${size}`).file_size_bytes;
    expect(bytes('1,024 bytes')).toBe('1024');
    expect(bytes('2 KB')).toBe('2048');
    expect(bytes('1.5 GiB')).toBe(String(1.5 * 1024 ** 3));
    for (const size of ['1.5 bytes', 'large', '12 PB', '-1', '9'.repeat(16)])
      expect(bytes(size), size).toBeUndefined();
    // No extension, and parentheses that are not a size.
    expect(parseEventInfo('Filename: README (draft)')).toEqual({ file_name: 'README (draft)' });
  });

  it('lists the addresses in the text, lower-cased, distinct, in order, bounded, without Message-IDs', () => {
    // Prepare
    const text =
      'Sent by Jane <Jane.Doe@Example.com>, To: bob@example.org, jane.doe@example.com., Message ID: <abc123@mail.example.net>, Note: not@an address, x@y';
    const many = Array.from({ length: 30 }, (_, i) => `u${i}@example.com`).join(' ');

    // Act / Assess
    expect(parseEventInfo(text).email_addresses).toBe('jane.doe@example.com,bob@example.org');
    expect(parseEventInfo(many).email_addresses?.split(',')).toHaveLength(MAX_EMAIL_ADDRESSES);
  });

  it('does not let a label impersonate a derived key', () => {
    expect(parseEventInfo('Event Created: 1999-01-01T00:00:00Z, Email Addresses: x')).toEqual({
      event_created_2: '1999-01-01T00:00:00Z',
      email_addresses_2: 'x',
    });
  });
});

describe('parseEventInfo: cost', () => {
  it('stays linear on texts built to make a scanner backtrack or rescan', () => {
    const size = MAX_EVENT_INFO_PARSE_CHARS;
    const texts = [
      ', '.repeat(size / 2),
      ':'.repeat(size),
      ': '.repeat(size / 2),
      'Date: '.repeat(size / 6),
      'Date Time IP Application '.repeat(size / 25),
      `${' '.repeat(size - 10)}Date: x`,
      'Remote IP is 1.1.1.1 '.repeat(size / 21),
      'a@'.repeat(size / 2),
      `${'a'.repeat(size - 20)}@${'b.'.repeat(9)}`,
      `x${', a'.repeat(size / 3)}:`,
      ` - ${'x - '.repeat(size / 4)}: y`,
      `${'A'.repeat(size)} to file: x`,
      `File Name: ${'('.repeat(2000)}1 KB)`,
    ];
    for (const text of texts) {
      const started = performance.now();
      parseEventInfo(text);
      parseEventInfo(`${text}${text}`);
      // Generous: linear work on 64 KiB takes a few milliseconds; quadratic would take seconds.
      expect(performance.now() - started, text.slice(0, 20)).toBeLessThan(250);
    }
  });
});

describe('normaliseDetailKey', () => {
  it('lower-cases labels and turns punctuation runs into single underscores', () => {
    expect(normaliseDetailKey(' Source IP ')).toBe('source_ip');
    expect(normaliseDetailKey('2FA')).toBe('2fa');
    expect(normaliseDetailKey('Sender (From)')).toBe('sender_from');
    expect(normaliseDetailKey('Größe')).toBe('größe');
  });
});
