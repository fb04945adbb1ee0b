/**
 * Drives the real collector Lambda entry point in a test: sets the collector's environment for a
 * fresh source (against the stand-ins), loads a fresh copy of the handler module (it reads the
 * environment once), and invokes it with a Lambda-like context. Also captures what Powertools
 * prints (JSON log lines, EMF metric blobs) so tests can assert on it.
 */
import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import type { RunSummary } from '#core/sync/index.js';
import { createLocalContext } from '#local/runtime/lambda-context.js';
import type { StandinsWithClients } from './standins.js';

/** The archive prefix the handler tests write under. */
export const HANDLER_PREFIX = 'mimecast/audit-events';

/** One loaded handler for one fresh source. */
export interface LoadedHandler {
  sourceId: string;
  secretId: string;
  /** One scheduled invocation with `budgetMs` of remaining time. */
  invoke(): Promise<RunSummary>;
}

/** Sets the environment for a new source (`label-<random>`) and imports the handler afresh. */
export async function loadCollectorHandler(
  aws: StandinsWithClients,
  options: { label: string; overrides?: Record<string, string>; budgetMs?: number },
): Promise<LoadedHandler> {
  const sourceId = `${options.label}-${randomUUID().slice(0, 8)}`;
  const secretId = `mimecast/${sourceId}`;
  const env: Record<string, string> = {
    ...aws.standins.env,
    MIMECAST_SECRET_ID: secretId,
    SOURCE_ID: sourceId,
    DATA_PREFIX: HANDLER_PREFIX,
    LOOKBACK_DAYS: '2',
    SETTLE_SECONDS: '60',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...options.overrides,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const module = await import('../../functions/collector/handler.js');
  const budgetMs = options.budgetMs ?? 120_000;
  const invoke = async (): Promise<RunSummary> => {
    const result = await module.handler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event' },
      createLocalContext('collector', budgetMs).context,
    );
    // Only a fleet collector skips (a disabled source); these handlers run one source.
    if ('skipped' in result) throw new Error(`unexpected skip: ${JSON.stringify(result)}`);
    return result;
  };
  return { sourceId, secretId, invoke };
}

/** What the handler printed: JSON log lines and EMF blobs. */
export interface CapturedOutput {
  lines(): Array<Record<string, unknown>>;
  text(): string;
}

/** Captures stdout and stderr instead of printing them (restored by vi.restoreAllMocks). */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const capture = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, text };
}

/** The EMF metric blobs among captured lines. */
export const emfBlobs = (lines: Array<Record<string, unknown>>): Array<Record<string, unknown>> =>
  lines.filter((line) => '_aws' in line);
