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
    [['stray']],
  ])('refuses %j', (args) => {
    expect(() => parseCliArgs(args)).toThrow(CliUsageError);
  });
});
