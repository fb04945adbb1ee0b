/**
 * cdk-nag's AWS Solutions pack over the whole stack, in the configurations that add resources
 * (several sources, an existing secret under a foreign key, JWT, e-mail, lifecycle, Object Lock,
 * reserved concurrency): nothing may
 * be left unacknowledged, and every acknowledgement must carry a specific reason.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { type AppConfigInput, parseAppConfig } from '#lib/config.js';
import { MimecastAuditLakeStack } from '#lib/stack.js';
import { buildStack, cdkContext, DEFAULT_CONFIG, EXISTING_SECRET_ARN } from './helpers.js';

const FULL: Partial<AppConfigInput> = {
  sources: [
    { id: 'eu' },
    {
      id: 'us-2',
      secretArn: EXISTING_SECRET_ARN,
      secretKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
  ],
  alarmEmails: ['soc@example.com', 'oncall@example.com'],
  retentionDays: 2555,
  noncurrentVersionRetentionDays: 400,
  objectLock: { mode: 'GOVERNANCE', retentionDays: 365 },
  reservedConcurrency: 1,
  transitions: { infrequentAccessAfterDays: 30, glacierInstantRetrievalAfterDays: 90 },
  api: { authMode: 'jwt', jwt: { issuer: 'https://idp.example.com/', audience: ['audit-api'] } },
  compaction: { ndjsonTransition: { afterDays: 90, storageClass: 'GLACIER_IR' } },
  ocsf: {
    securityLake: {
      externalId: 'mimecast-audit-lake-example',
      customSources: [
        {
          classUid: 3002,
          providerRoleArn:
            'arn:aws:iam::111122223333:role/AmazonSecurityLake-Provider-mimecast-auth-eu-west-1',
          location: 's3://aws-security-data-lake-eu-west-1-abcdef/ext/mimecast-auth/',
        },
      ],
    },
  },
};

/** Every acknowledgement recorded in the construct tree: rule id → reason. */
function acknowledgements(root: IConstruct): Array<[string, string]> {
  return (
    root.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      // CDK records acknowledgements under its annotation namespace; cdk-nag strips it too.
      .map(([id, reason]): [string, string] => [id.replace(/^annotation::/i, ''), reason])
  );
}

describe('cdk-nag AWS Solutions checks', () => {
  it.each([
    ['the default configuration', {}],
    ['a full configuration (2 sources, existing secret, JWT, e-mail, lifecycle, Security Lake)', FULL],
  ])('reports no unacknowledged finding for %s', (_name, overrides) => {
    // Prepare
    const { app } = buildStack(overrides);

    // Act
    const report = new AwsSolutionsChecks(app).validateScope(app);

    // Assess: the rule names are in the failure message if this fails.
    expect(
      report.violations.map(
        (v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges findings only with specific reasons and, for wildcards, per finding', () => {
    const { app } = buildStack(FULL);
    const acks = acknowledgements(app);

    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      // IAM5 is acknowledged per finding (Resource::…), never for the whole rule.
      if (id.startsWith('AwsSolutions-IAM5')) expect(id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
      expect(reason.length).toBeGreaterThanOrEqual(60);
    }
  });

  it('synthesizes like `cdk synth` does: cdk-nag plugin and CloudFormation validation, without errors', () => {
    // Prepare: the same wiring as bin/app.ts, with the full configuration.
    const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
    const config = parseAppConfig({ ...DEFAULT_CONFIG, ...FULL });
    new MimecastAuditLakeStack(app, config.stackName, { config });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act / Assess: synthesis throws on any plugin violation or CloudFormation validation error.
    const assembly = app.synth();
    expect(assembly.getStackByName(config.stackName).template.Resources).toBeDefined();
  });
});
