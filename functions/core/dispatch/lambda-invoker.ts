/**
 * Starts a collector run through Lambda: an asynchronous (`Event`) invocation of the collector
 * function with `{"sourceId":"…"}`. Lambda answers 202 once the event is queued; the run itself
 * happens later and its outcome is the collector's to report (its metrics, logs and alarms).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { CollectorInvoker } from './dispatcher.js';

/** The collector invocation payload of fleet mode. */
export interface CollectorPayload {
  sourceId: string;
}

/** The payload bytes for one source. */
export function collectorPayload(sourceId: string): Uint8Array {
  const payload: CollectorPayload = { sourceId };
  return new TextEncoder().encode(JSON.stringify(payload));
}

/** Lambda did not accept the event (a status other than 202). */
export class CollectorInvokeError extends Error {
  constructor(
    readonly sourceId: string,
    readonly statusCode: number | undefined,
  ) {
    super(`the collector invocation for "${sourceId}" answered ${statusCode ?? 'no status'}, not 202`);
    this.name = 'CollectorInvokeError';
  }
}

/** Invokes the collector function asynchronously, once per dispatched source. */
export class LambdaCollectorInvoker implements CollectorInvoker {
  constructor(
    private readonly client: Pick<LambdaClient, 'send'>,
    private readonly functionName: string,
  ) {}

  async invoke(sourceId: string): Promise<void> {
    const answer = await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: collectorPayload(sourceId),
      }),
    );
    if (answer.StatusCode !== 202) throw new CollectorInvokeError(sourceId, answer.StatusCode);
  }
}
