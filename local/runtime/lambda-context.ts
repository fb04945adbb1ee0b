/** A Lambda context for local invocations: a time budget that counts down and can be cut short. */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The fake context plus a switch that makes the remaining time (almost) zero, to stop a run after its current window. */
export interface LocalContext {
  context: Context;
  /** From now on the run sees no time left: it finishes the window in hand and stops. */
  expire(): void;
}

/** Lambda's maximum duration: what the deployed collector gets. */
export const LOCAL_TIMEOUT_MS = 15 * 60_000;

/** A context whose getRemainingTimeInMillis counts down from `timeoutMs` (real time). */
export function createLocalContext(functionName: string, timeoutMs = LOCAL_TIMEOUT_MS): LocalContext {
  const deadline = Date.now() + timeoutMs;
  let expired = false;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => (expired ? 0 : Math.max(0, deadline - Date.now())),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  return {
    context,
    expire: () => {
      expired = true;
    },
  };
}
