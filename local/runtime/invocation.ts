/**
 * Per-invocation context for handlers that run side by side in one process. In Lambda each
 * execution environment serves one request at a time, so Powertools keeps the invocation's
 * context (request id, temporary log keys, metric dimensions) in module-level state. Locally the
 * query handler serves concurrent requests in one process, which would mix those up: a log line
 * of one request would carry another's request id. Lambda Managed Instances have the same
 * problem, and Powertools solves it there with the runtime's InvokeStore (AsyncLocalStorage,
 * at `globalThis.awslambda.InvokeStore`), switched on by AWS_LAMBDA_MAX_CONCURRENCY. This module
 * plays the runtime's part.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';

/** Powertools reads this variable on every call to decide where invocation state lives. */
const CONCURRENCY_VARIABLE = 'AWS_LAMBDA_MAX_CONCURRENCY';
/** Any value works; it only needs to be set (Lambda sets the configured maximum). */
const LOCAL_CONCURRENCY = '64';

type InvocationContext = Record<string | symbol, unknown>;

/** Marks our store, so a second copy of this module (another loader) reuses the installed one. */
const BRAND = Symbol.for('mimecast-audit-lake.local-invoke-store');

/**
 * The runtime's multi-context store, made here rather than by `InvokeStore.getInstanceAsync`:
 * that one decides once per process between a single- and a multi-context store, and the AWS SDK
 * asks for it (without AWS_LAMBDA_MAX_CONCURRENCY) as soon as it sends a request, which locally
 * happens before any handler runs. A single-context store would keep only the latest request id.
 */
class LocalInvokeStore extends InvokeStoreBase {
  readonly [BRAND] = true;
  private readonly storage = new AsyncLocalStorage<InvocationContext>();
  /**
   * Outside any invocation (a module imported, a test calling a handler directly): one shared
   * context, as with a single-context store, instead of the runtime store's error.
   */
  private readonly outside: InvocationContext = {};

  getContext(): InvocationContext | undefined {
    return this.storage.getStore() ?? this.outside;
  }

  hasContext(): boolean {
    return this.storage.getStore() !== undefined;
  }

  get<T = unknown>(key: string | symbol): T | undefined {
    return (this.storage.getStore() ?? this.outside)[key] as T | undefined;
  }

  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key))
      throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    (this.storage.getStore() ?? this.outside)[key] = value;
  }

  run<T>(context: InvocationContext, fn: () => T): T {
    return this.storage.run(context, fn);
  }
}

/**
 * Switches Powertools to per-invocation state. Handler calls that run side by side must
 * each run inside runInvocation; calls outside one share a single context. Idempotent.
 */
export function enableConcurrentInvocations(env: NodeJS.ProcessEnv = process.env): InvokeStoreBase {
  env[CONCURRENCY_VARIABLE] ??= LOCAL_CONCURRENCY;
  const global = globalThis as { awslambda?: { InvokeStore?: InvokeStoreBase } };
  global.awslambda ??= {};
  const current = global.awslambda.InvokeStore;
  if (current !== undefined && BRAND in current) return current;
  const store = new LocalInvokeStore();
  global.awslambda.InvokeStore = store;
  return store;
}

/** Runs `fn` (e.g. a handler module's import) in a context of its own, as the runtime runs a function's init. */
export function withInvocationScope<T>(fn: () => Promise<T>): Promise<T> {
  return enableConcurrentInvocations().run({}, fn);
}

/** Runs one handler invocation in its own context, with `requestId` as Lambda's request id. */
export function runInvocation<T>(requestId: string, fn: () => Promise<T>): Promise<T> {
  return enableConcurrentInvocations().run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, fn);
}
