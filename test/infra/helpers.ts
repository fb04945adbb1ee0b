/**
 * Shared helpers of the infra tests: build the stack the way `cdk synth` does (same feature
 * flags from cdk.json), optionally without esbuild bundling, and read IAM out of a template.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type AppConfig, type AppConfigInput, CONFIG_CONTEXT_KEY, parseAppConfig } from '#lib/config.js';
import { MimecastAuditLakeStack } from '#lib/stack.js';

interface CdkJson {
  context: Record<string, unknown>;
}

/** cdk.json as committed. */
export const CDK_JSON = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
) as CdkJson;

/** The default configuration committed in cdk.json. */
export const DEFAULT_CONFIG = CDK_JSON.context[CONFIG_CONTEXT_KEY] as AppConfigInput;

/** A complete existing secret ARN (valid shape, fake account). */
export const EXISTING_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:mimecast/eu-AbCdEf';

/** Result of building a stack. */
export interface Built {
  app: App;
  stack: MimecastAuditLakeStack;
  template: Template;
  config: AppConfig;
}

/** The feature flags and settings of cdk.json, without the app configuration. */
export function cdkContext(): Record<string, unknown> {
  const { [CONFIG_CONTEXT_KEY]: _config, ...context } = CDK_JSON.context;
  return context;
}

/** Options of buildStack. */
export interface BuildOptions {
  /** Run esbuild for real (slow); otherwise `aws:cdk:bundling-stacks: []` skips it. */
  bundle?: boolean;
  /**
   * Run CDK's built-in CloudFormation validation during synth (a few seconds per stack). Off
   * by default; the cdk-nag test file synthesizes with it on.
   */
  validate?: boolean;
}

/** Builds the stack from cdk.json's default configuration overlaid with `overrides`. */
export function buildStack(overrides: Partial<AppConfigInput> = {}, options: BuildOptions = {}): Built {
  const app = new App({
    context: { ...cdkContext(), ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const config = parseAppConfig({ ...DEFAULT_CONFIG, ...overrides });
  const stack = new MimecastAuditLakeStack(app, config.stackName, { config });
  return { app, stack, template: synthesize(stack, options.validate ?? false), config };
}

/** Template.fromStack, with CDK's built-in validation switched off unless `validate`. */
function synthesize(stack: MimecastAuditLakeStack, validate: boolean): Template {
  const previous = process.env.CDK_VALIDATION;
  if (!validate) process.env.CDK_VALIDATION = 'false';
  try {
    return Template.fromStack(stack);
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}

/** A CloudFormation resource as it appears in the template. */
export interface CfnResourceJson {
  Type: string;
  /** Every resource this stack creates has properties. */
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}

/** All resources of `type`, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, CfnResourceJson> {
  return template.findResources(type) as Record<string, CfnResourceJson>;
}

/** The single resource of `type` matching `predicate`; fails unless exactly one does. */
export function single(
  template: Template,
  type: string,
  predicate: (r: CfnResourceJson, id: string) => boolean = () => true,
): [string, CfnResourceJson] {
  const matches = Object.entries(resourcesOf(template, type)).filter(([id, r]) => predicate(r, id));
  if (matches.length !== 1) throw new Error(`expected exactly one ${type}, found ${matches.length}`);
  return matches[0] as [string, CfnResourceJson];
}

/**
 * Flattens CloudFormation intrinsics into readable strings: `{Ref: X}` → `<X>`,
 * `{Fn::GetAtt: [X, Arn]}` → `<X.Arn>`, `{Fn::Join: ['', parts]}` → the joined parts.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.Ref === 'string') return `<${obj.Ref}>`;
    const getAtt = obj['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = obj['Fn::Join'];
    if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(flatten).join(String(join[0]));
  }
  return JSON.stringify(value);
}

/** An IAM statement with Action/Resource normalised to string arrays. */
export interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Every statement of the identity policies attached to role `roleLogicalId`. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const out: Statement[] = [];
  for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
    const roles = asArray(policy.Properties.Roles).map(flatten);
    if (!roles.includes(`<${roleLogicalId}>`)) continue;
    const doc = policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] };
    for (const s of doc.Statement) {
      out.push({
        Effect: String(s.Effect),
        Action: asArray(s.Action).map(String),
        Resource: asArray(s.Resource).map(flatten),
        Condition: s.Condition as Statement['Condition'],
        Sid: s.Sid as string | undefined,
      });
    }
  }
  return out;
}

/** Every identity-policy statement in the template, with the role it belongs to. */
export function allStatements(template: Template): Array<Statement & { role: string }> {
  return Object.keys(resourcesOf(template, 'AWS::IAM::Role')).flatMap((role) =>
    roleStatements(template, role).map((s) => ({ ...s, role })),
  );
}

/** The logical id of the role a Lambda function runs as. */
export function roleOfFunction(fn: CfnResourceJson): string {
  const role = flatten(fn.Properties.Role);
  const match = /^<(.+)\.Arn>$/.exec(role);
  if (!match?.[1]) throw new Error(`unexpected role reference ${role}`);
  return match[1];
}

/** The collector function of `sourceId`, by its SOURCE_ID variable and its entry (the collector's description). */
export function collectorFunction(template: Template, sourceId: string): [string, CfnResourceJson] {
  return single(template, 'AWS::Lambda::Function', (r) => {
    const vars = (r.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    return vars?.SOURCE_ID === sourceId && String(r.Properties.Description).startsWith('Copies');
  });
}

/** The query API function. */
export function queryFunction(template: Template): [string, CfnResourceJson] {
  return single(template, 'AWS::Lambda::Function', (r) =>
    String(r.Properties.Description).includes('query API'),
  );
}

/** The compactor function. */
export function compactorFunction(template: Template): [string, CfnResourceJson] {
  return single(template, 'AWS::Lambda::Function', (r) =>
    String(r.Properties.Description).includes('compactor'),
  );
}

/** Environment variables of a function resource. */
export function environmentOf(fn: CfnResourceJson): Record<string, unknown> {
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** Descriptions of the fleet-mode functions (lib/constructs/fleet.ts), by role. */
const FLEET_FUNCTION_DESCRIPTIONS = {
  collector: /one registry source per invocation/,
  dispatcher: /^Starts the fleet collector run/,
  seed: /into the source registry/,
} as const;

/** A fleet-mode function: the one collector, the dispatcher or the registry seed. */
export function fleetFunction(
  template: Template,
  which: keyof typeof FLEET_FUNCTION_DESCRIPTIONS,
): [string, CfnResourceJson] {
  return single(template, 'AWS::Lambda::Function', (r) =>
    FLEET_FUNCTION_DESCRIPTIONS[which].test(String(r.Properties.Description)),
  );
}

/** `count` sources `s0`, `s1`, … (the shortest valid ids). */
export function numberedSources(count: number): Array<{ id: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: `s${i}` }));
}
