/**
 * What a collector makes of its environment and its invocation payload, as pure decisions:
 *
 * - One source (SOURCE_ID and MIMECAST_SECRET_ID in the environment, as the per-source functions
 *   have): the payload is ignored (an EventBridge scheduled event) unless it names a source by
 *   `sourceId`, which must then be this function's own. A payload naming another source means the
 *   invoker is wired to the wrong function: running this function's source instead would leave
 *   the named one silently unserved, so the invocation fails and says so.
 * - Fleet (`SOURCE_REGISTRY=true`): the payload must be `{"sourceId":"<id>"}` with a valid id;
 *   the registry supplies everything else.
 */
import { sourceIdSchema } from '#core/registry/source-config.js';

/** How a collector finds the source it runs. */
export type CollectorMode = 'single' | 'fleet';

/** Fleet mode when SOURCE_REGISTRY is set to anything but `false` (the fleet schema then insists on `true`). */
export function collectorModeOf(env: Record<string, string | undefined>): CollectorMode {
  const flag = env.SOURCE_REGISTRY?.trim();
  return flag === undefined || flag === '' || flag === 'false' ? 'single' : 'fleet';
}

/** An invocation payload the collector refuses (the invocation fails with this message). */
export class CollectorPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CollectorPayloadError';
  }
}

/** The Source dimension of a fleet invocation whose payload names no valid source. */
export const NO_SOURCE_DIMENSION = '(invalid payload)';

/** The payload's `sourceId` as given (any type), or undefined when it has none. */
function claimedSource(event: unknown): { value: unknown } | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  if (!Object.hasOwn(event, 'sourceId')) return undefined;
  const value: unknown = (event as { sourceId?: unknown }).sourceId;
  return value === undefined ? undefined : { value };
}

/** A value for an error message: JSON, cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * One-source mode: throws when the payload names a source other than `configured`; any other
 * payload (a scheduled event, none, the own source) is accepted and otherwise ignored.
 */
export function assertPayloadIsFor(event: unknown, configured: string): void {
  const claim = claimedSource(event);
  if (claim === undefined || claim.value === configured) return;
  throw new CollectorPayloadError(
    `This collector runs source "${configured}" only (its SOURCE_ID), but the payload names sourceId ${shown(claim.value)}: the invoker is wired to the wrong function`,
  );
}

/** Fleet mode: the valid source id the payload names; throws otherwise. */
export function fleetSourceOf(event: unknown): string {
  const claim = claimedSource(event);
  if (claim === undefined) {
    throw new CollectorPayloadError(
      'A fleet collector (SOURCE_REGISTRY=true) runs the source its payload names: invoke it with {"sourceId":"<id>"}',
    );
  }
  const parsed = sourceIdSchema.safeParse(claim.value);
  if (!parsed.success) {
    throw new CollectorPayloadError(
      `The payload's sourceId ${shown(claim.value)} is not a source id (${parsed.error.issues[0]?.message ?? 'invalid'})`,
    );
  }
  return parsed.data;
}

/** Fleet mode: the Source dimension of an invocation's metrics, known before anything else is checked. */
export function meteredSourceOf(event: unknown): string {
  const claim = claimedSource(event);
  const parsed = sourceIdSchema.safeParse(claim?.value);
  return parsed.success ? parsed.data : NO_SOURCE_DIMENSION;
}
