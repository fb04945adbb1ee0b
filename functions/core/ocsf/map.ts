/**
 * An archive record as an OCSF event (docs/ocsf.md): the class from classify(), the attributes
 * every class requires, the class's own required objects, and everything else under `unmapped`,
 * so nothing the record holds is lost. Pure and deterministic: the same record and context give
 * the same event, key order included.
 *
 * `details` and `actor` are partly attacker-influenced (a subject line can carry `IP: …`), so
 * values only land in typed attributes when they have the right shape: an IP must be a plain
 * IPv4/IPv6 address and the only `IP:` label of the event, an address must look like one; strings
 * are cut at OCSF's 65,535-character limit (the full text stays under `unmapped`).
 */
import { isIP } from 'node:net';
import type { AuditRecord } from '#core/archive/record.js';
import {
  type Classification,
  type ClassificationRule,
  classify,
  type EntitySpec,
  OCSF_CLASSES,
  type OcsfClassUid,
  SEVERITY,
} from './classify.js';
import { OCSF_VERSION } from './version.js';

export interface OcsfUser {
  uid?: string;
  name?: string;
  email_addr?: string;
}

export interface OcsfEndpoint {
  ip?: string;
  name?: string;
}

export interface OcsfMetadata {
  version: string;
  product: { name: string; vendor_name: string; version?: string };
  uid: string;
  original_time: string;
  logged_time?: number;
  profiles?: string[];
}

/** The attributes toOcsf writes (a subset of the union of the classes it produces). */
export interface OcsfEvent {
  class_uid: OcsfClassUid;
  class_name: string;
  category_uid: number;
  category_name: string;
  activity_id: number;
  activity_name: string;
  type_uid: number;
  type_name: string;
  severity_id: number;
  severity: string;
  status_id: number;
  status: string;
  status_detail?: string;
  /** Epoch milliseconds of `event_time`. */
  time: number;
  timezone_offset: 0;
  message?: string;
  metadata: OcsfMetadata;
  actor?: { user: OcsfUser };
  /** Authentication: who authenticated; Account Change: whose account; Group Management: the member. */
  user?: OcsfUser;
  service?: { name: string };
  is_mfa?: boolean;
  entity?: { name?: string; uid?: string; type: string };
  group?: { name: string };
  policy?: { name: string };
  api?: { operation: string; service?: { name: string } };
  src_endpoint?: OcsfEndpoint;
  raw_data?: string;
  unmapped: Record<string, unknown>;
}

export interface OcsfContext {
  /** `metadata.product.version`: the Mimecast product version, when the caller knows it. */
  productVersion?: string;
  /** Put the record's JSON in `raw_data` (when it fits OCSF's string limit). */
  rawData?: boolean;
}

export const PRODUCT_NAME = 'Mimecast';
export const VENDOR_NAME = 'Mimecast';
/** The name of a subject OCSF requires but the event does not identify. */
export const UNKNOWN = 'Unknown';
/** OCSF's `string_t` maximum length. */
export const MAX_STRING = 65_535;
/** OCSF's `ip_t` maximum length. */
const MAX_IP = 40;

const clip = (text: string): string => (text.length > MAX_STRING ? text.slice(0, MAX_STRING) : text);

/** A subset of OCSF 1.1.0's `email_t` pattern, with RFC 5321's length limits. */
const EMAIL = /^[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+$/;
export const isEmail = (text: string): boolean => text.length <= 254 && EMAIL.test(text);

/**
 * `details.ip` when it can be trusted as the client address: a plain IPv4 or IPv6 address (no
 * zone, port, list or surrounding text) and the event's only `IP:` label. The parser suffixes a
 * repeated label (`ip_2`), and a second one means some field of the text carried its own `IP:`,
 * so neither is believed.
 */
export function clientIp(details: Readonly<Record<string, string>>): string | undefined {
  const ip = details.ip;
  if (ip === undefined || ip.length > MAX_IP || Object.hasOwn(details, 'ip_2')) return undefined;
  return isIP(ip) !== 0 && !ip.includes('%') ? ip : undefined;
}

/** `actor` as an OCSF user: uid and name are the text, `email_addr` when it is an address. */
function actorUser(actor: string | null): OcsfUser | undefined {
  if (actor === null || actor.trim() === '') return undefined;
  const text = clip(actor);
  return isEmail(actor) ? { uid: text, name: text, email_addr: text } : { uid: text, name: text };
}

const emailUser = (address: string): OcsfUser => ({ uid: address, name: address, email_addr: address });

/** The valid addresses of `details.email_addresses`, in order. */
function addresses(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(isEmail);
}

/** The first `"quoted"` name of the summary (a policy, group, role, report… name). */
function quotedName(summary: string | undefined): string | undefined {
  if (summary === undefined) return undefined;
  const match = /"([^"]+)"/.exec(summary);
  return match?.[1] === undefined ? undefined : clip(match[1]);
}

/** Reads `details`, remembering which keys went into typed attributes (the rest go to `unmapped`). */
class DetailReader {
  readonly used = new Set<string>();
  constructor(readonly details: Readonly<Record<string, string>>) {}
  take(key: string): string | undefined {
    const value = Object.hasOwn(this.details, key) ? this.details[key] : undefined;
    if (value === undefined || value === '') return undefined;
    this.used.add(key);
    return value;
  }
  first(keys: readonly string[] | undefined): string | undefined {
    for (const key of keys ?? []) {
      const value = this.take(key);
      if (value !== undefined) return clip(value);
    }
    return undefined;
  }
  rest(): Record<string, string> | undefined {
    let out: Record<string, string> | undefined;
    for (const key of Object.keys(this.details)) {
      if (this.used.has(key)) continue;
      out ??= {};
      Object.defineProperty(out, key, {
        value: this.details[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
}

/** The target of an account change / the member of a group change: the first address that is not the actor. */
function subjectUser(reader: DetailReader, actor: string | null): OcsfUser | undefined {
  const list = addresses(reader.details.email_addresses);
  if (list.length === 0) return undefined;
  reader.take('email_addresses');
  const actorKey = actor?.toLowerCase();
  const other = list.find((address) => address.toLowerCase() !== actorKey);
  return emailUser(other ?? (list[0] as string));
}

function entityOf(
  spec: EntitySpec,
  reader: DetailReader,
  summary: string | undefined,
): NonNullable<OcsfEvent['entity']> {
  const name = quotedName(summary) ?? reader.first(spec.nameKeys);
  const uid = reader.first(spec.uidKeys);
  if (name === undefined && uid === undefined) return { name: UNKNOWN, type: spec.type };
  return { ...(name === undefined ? {} : { name }), ...(uid === undefined ? {} : { uid }), type: spec.type };
}

/** Fills the class-specific attributes (the objects each class requires, and a few it recommends). */
function classAttributes(
  event: OcsfEvent,
  record: AuditRecord,
  c: Classification,
  rule: ClassificationRule,
  reader: DetailReader,
  actor: OcsfUser | undefined,
): void {
  const summary = record.details.summary;
  switch (c.classUid) {
    case 3002: {
      const subject =
        rule.subject === 'mimecast-support'
          ? { name: 'Mimecast Support' }
          : (actor ?? subjectUser(reader, null));
      event.user = subject ?? { name: UNKNOWN };
      const application = reader.take('application');
      event.service = { name: application === undefined ? PRODUCT_NAME : clip(application) };
      const mfa = reader.take('2fa');
      if (mfa !== undefined) event.is_mfa = mfa.trim().toLowerCase() !== 'none';
      const detail =
        c.statusId === 2 ? reader.take('reason') : c.statusId === 99 ? reader.take('challenge') : undefined;
      if (detail !== undefined) event.status_detail = clip(detail);
      break;
    }
    case 3001: {
      event.user = subjectUser(reader, record.actor) ?? { name: UNKNOWN };
      const role = c.activityId === 7 || c.activityId === 8 ? quotedName(summary) : undefined;
      if (role !== undefined) event.policy = { name: role };
      break;
    }
    case 3004:
      event.entity = entityOf(rule.entity ?? { type: UNKNOWN }, reader, summary);
      break;
    case 3006: {
      event.group = { name: quotedName(summary) ?? reader.first(['group', 'group_name']) ?? UNKNOWN };
      event.user = subjectUser(reader, record.actor) ?? { name: UNKNOWN };
      break;
    }
    case 6003: {
      const action = reader.take('action');
      const application = reader.take('application');
      event.api = {
        operation: clip(action ?? record.audit_type ?? c.activityName),
        ...(application === undefined ? {} : { service: { name: clip(application) } }),
      };
      break;
    }
    case 0:
      break;
  }
}

/**
 * Maps one archive record to an OCSF event. Throws a RangeError when `event_time` is not a date
 * (the collector never archives such a record); anything else maps to some class.
 */
export function toOcsf(record: AuditRecord, ctx: OcsfContext = {}): OcsfEvent {
  const time = Date.parse(record.event_time);
  if (!Number.isFinite(time)) throw new RangeError(`record ${record.id}: event_time is not a date`);
  const c = classify(record);
  const info = OCSF_CLASSES[c.classUid];
  const reader = new DetailReader(record.details);
  if (c.activityFromAction) reader.take('action');
  // The summary is the start of event_info, which is the message.
  if (record.event_info !== null) reader.used.add('summary');

  const loggedTime = Date.parse(record.collected_at);
  const metadata: OcsfMetadata = {
    version: OCSF_VERSION,
    product: {
      name: PRODUCT_NAME,
      vendor_name: VENDOR_NAME,
      ...(ctx.productVersion === undefined ? {} : { version: clip(ctx.productVersion) }),
    },
    uid: clip(record.id),
    original_time: clip(record.event_time),
    ...(Number.isFinite(loggedTime) ? { logged_time: loggedTime } : {}),
  };

  const event: OcsfEvent = {
    class_uid: c.classUid,
    class_name: info.className,
    category_uid: info.categoryUid,
    category_name: info.categoryName,
    activity_id: c.activityId,
    activity_name: clip(c.activityName),
    type_uid: c.classUid * 100 + c.activityId,
    // The caption of type_uid: for activity 99 that is `…: Other` (activity_name has the source's word).
    type_name: `${info.className}: ${info.activities[c.activityId] ?? 'Unknown'}`,
    severity_id: c.severityId,
    severity: SEVERITY[c.severityId],
    status_id: c.statusId,
    status: c.statusName,
    time,
    timezone_offset: 0,
    ...(record.event_info === null ? {} : { message: clip(record.event_info) }),
    metadata,
  } as OcsfEvent;

  const actor = actorUser(record.actor);
  if (info.actor === 'class' && (actor !== undefined || c.classUid === 6003)) {
    event.actor = { user: actor ?? { name: UNKNOWN } };
  } else if (info.actor === 'host-profile' && actor !== undefined) {
    // Entity and Group Management have `actor` only through OCSF's host profile in 1.1.0.
    event.actor = { user: actor };
    metadata.profiles = ['host'];
  }
  classAttributes(event, record, c, c.rule, reader, actor);

  if (info.srcEndpoint) {
    const ip = clientIp(record.details);
    if (ip !== undefined) {
      reader.take('ip');
      event.src_endpoint = { ip };
    } else if (c.classUid === 6003) {
      event.src_endpoint = { name: UNKNOWN };
    }
  }

  if (ctx.rawData) {
    const raw = JSON.stringify(record);
    if (raw.length <= MAX_STRING) event.raw_data = raw;
  }

  // Last, so it is the last key; its own key order is fixed too, and null fields are left out.
  const unmapped: Record<string, unknown> = {};
  if (record.audit_type !== null) unmapped.audit_type = record.audit_type;
  if (record.category !== null) unmapped.category = record.category;
  unmapped.source = record.source;
  if (event.actor === undefined && record.actor !== null && record.actor !== '')
    unmapped.actor = record.actor;
  if (record.event_info !== null && record.event_info.length > MAX_STRING)
    unmapped.event_info = record.event_info;
  const rest = reader.rest();
  if (rest !== undefined) unmapped.details = rest;
  if (Object.keys(record.extra).length > 0) unmapped.extra = record.extra;
  event.unmapped = unmapped;
  return event;
}
