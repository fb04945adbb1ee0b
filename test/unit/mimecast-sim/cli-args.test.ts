import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArgs } from '#local/mimecast-sim/cli-args.js';

describe('parseCliArgs', () => {
  it('maps flags to simulator options', () => {
    const command = parseCliArgs([
      '--port',
      '9000',
      '--seed',
      '7',
      '--events-per-day',
      '16667',
      '--token-ttl',
      '60',
      '--page-latency-ms',
      '100',
      '--rate-limit',
      '10/2.5',
    ]);
    expect(command).toEqual({
      kind: 'run',
      options: {
        port: 9000,
        seed: 7,
        eventsPerDay: 16667,
        tokenTtlSeconds: 60,
        pageLatencyMs: 100,
        rateLimit: { capacity: 10, refillPerSecond: 2.5 },
      },
    });
  });

  it('maps the paging, clock and late-indexing flags', () => {
    const command = parseCliArgs([
      '--clock-offset-ms=-600000',
      '--late-events',
      '0.05:300,0.01:3600',
      '--retention-error-code',
      'err_validation_date_range',
      '--empty-last-page-with-next',
      '--empty-tail-with-new-tokens',
    ]);
    expect(command).toEqual({
      kind: 'run',
      options: {
        port: 8080,
        clockOffsetMs: -600_000,
        lateEvents: [
          { share: 0.05, delaySeconds: 300 },
          { share: 0.01, delaySeconds: 3600 },
        ],
        retentionErrorCode: 'err_validation_date_range',
        emptyLastPageWithNext: true,
        emptyTailWithNewTokens: true,
      },
    });
  });

  it('defaults to port 8080 and understands --rate-limit off and --help', () => {
    expect(parseCliArgs([])).toEqual({ kind: 'run', options: { port: 8080 } });
    expect(parseCliArgs(['--rate-limit', 'off'])).toMatchObject({ options: { rateLimit: false } });
    expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--port', '70000']],
    [['--port', '12ab']],
    [['--events-per-day', '-1']],
    [['--token-ttl', '0']],
    [['--rate-limit', '0/1']],
    [['--colour']],
    [['--clock-offset-ms', '1.5']],
    [['--clock-offset-ms', '99999999999']],
    [['--late-events', '0.5']],
    [['--late-events', '1.5:60']],
    [['--late-events', '0.6:60,0.6:120']],
    [['--retention-error-code', 'two words']],
    [['stray']],
  ])('refuses %j', (args) => {
    expect(() => parseCliArgs(args)).toThrow(CliUsageError);
  });
});
