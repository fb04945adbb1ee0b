import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installLogRouter, type LogRecord, parseLogLine } from '#local/runtime/log-router.js';

// The router keeps the writers it found; recorders in their place show what would reach the terminal.
const terminal: { stdout: string[]; stderr: string[] } = { stdout: [], stderr: [] };
let restore: () => void;

beforeEach(() => {
  terminal.stdout = [];
  terminal.stderr = [];
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string) =>
    terminal.stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) =>
    terminal.stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  restore = () => {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  };
});
afterEach(() => restore());

describe('the log router', () => {
  it('takes Powertools log lines off both streams and lets everything else through', () => {
    // Prepare
    const taken: Array<{ record: LogRecord; stream: string }> = [];
    const router = installLogRouter((record, _line, stream) => taken.push({ record, stream }));
    const logger = new Logger({ serviceName: 'mimecast-audit-collector', logLevel: 'INFO' });

    // Act
    logger.info('Window committed', { windowStart: '2026-12-01T00:00:00Z', events: 3 });
    logger.warn('Malformed event quarantined', { reason: 'missing_id' });
    process.stdout.write('12:00:00  run 1: caught_up\n');
    process.stdout.write('{"not":"a log line"}\n');
    router.write('stdout', '{"level":"INFO","message":"raw, on purpose"}\n');
    router.uninstall();
    logger.info('after uninstall');

    // Assess
    expect(taken.map((t) => [t.record.message, t.stream, t.record.service])).toEqual([
      ['Window committed', 'stdout', 'mimecast-audit-collector'],
      ['Malformed event quarantined', 'stderr', 'mimecast-audit-collector'],
    ]);
    expect(taken[0]?.record.events).toBe(3);
    expect(terminal.stdout.slice(0, 3)).toEqual([
      '12:00:00  run 1: caught_up\n',
      '{"not":"a log line"}\n',
      '{"level":"INFO","message":"raw, on purpose"}\n',
    ]);
    expect(terminal.stderr).toEqual([]);
    expect(terminal.stdout[3]).toContain('"message":"after uninstall"');
  });

  it('recognises only whole Powertools entries', () => {
    expect(parseLogLine('{"level":"WARN","message":"x","service":"s","timestamp":"t"}')?.level).toBe('WARN');
    expect(parseLogLine('{"level":"WARN","message":"x"')).toBeUndefined();
    expect(parseLogLine('{"message":"x","level":"WARN"}')).toBeUndefined();
    expect(parseLogLine('plain text')).toBeUndefined();
  });

  it('splits a write holding several lines and keeps the others', () => {
    const taken: string[] = [];
    const router = installLogRouter((record) => taken.push(record.message));
    process.stdout.write('before\n{"level":"INFO","message":"one"}\nafter\n');
    router.uninstall();
    expect(taken).toEqual(['one']);
    expect(terminal.stdout).toEqual(['before\nafter\n']);
  });
});
