/**
 * Amazon Security Lake delivery of the OCSF copy (docs/security-lake.md): which custom source
 * each OCSF class becomes, the targets the compactor also writes each class's objects to, and
 * the IAM role Security Lake's Glue crawlers run as.
 *
 * The split of roles follows CreateCustomLogSource: the operator passes the crawler role created
 * here (`crawlerConfiguration.roleArn`) and this account with an external id
 * (`providerIdentity`); Security Lake answers with a provider role, which it creates and gives
 * write access to the source's prefix, and the source's S3 location. The compactor assumes that
 * provider role to write, so this stack itself needs no right on Security Lake's bucket.
 * https://docs.aws.amazon.com/security-lake/latest/APIReference/API_CreateCustomLogSource.html
 * https://docs.aws.amazon.com/security-lake/latest/userguide/custom-sources.html
 */
import { Aws, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { OCSF_CLASSES, type OcsfClassUid } from '#core/ocsf/classify.js';
import { customSourceName, MAX_CUSTOM_SOURCE_NAME } from '#core/ocsf/layout.js';

/** Where each OCSF class goes: its custom source (in the archive bucket and in Security Lake), and Glue. */
export interface OcsfClassLayout {
  readonly classUid: OcsfClassUid;
  /** The class as OCSF 1.1.0 names it. */
  readonly className: string;
  /**
   * The class's custom source name (functions/core/ocsf/layout.ts): the copy in the archive
   * bucket is under `<dataPrefix>-ocsf/ext/<name>/`, and it is the name suggested for the
   * Security Lake custom source (`sourceName` says when it was created under another).
   */
  readonly sourceName: string;
  /**
   * The `eventClasses` value of CreateCustomLogSource, or undefined where the API's documented
   * list has none (Group Management, Base Event): the parameter is optional, so it is left out.
   * https://docs.aws.amazon.com/security-lake/latest/APIReference/API_CreateCustomLogSource.html
   */
  readonly eventClass: string | undefined;
  /** The Glue table is `<athena.tableName>_ocsf_<tableSuffix>`. */
  readonly tableSuffix: string;
}

const layout = (
  classUid: OcsfClassUid,
  eventClass: string | undefined,
  tableSuffix: string,
): OcsfClassLayout => ({
  classUid,
  className: OCSF_CLASSES[classUid].className,
  sourceName: customSourceName(classUid),
  eventClass,
  tableSuffix,
});

/** The classes the compactor writes, in the order the documentation lists them. */
export const OCSF_CLASS_LAYOUTS: readonly OcsfClassLayout[] = [
  layout(3002, 'AUTHENTICATION', 'authentication'),
  layout(3001, 'ACCOUNT_CHANGE', 'account_change'),
  // Security Lake's name for OCSF's Entity Management (3004) in the API's list.
  layout(3004, 'ENTITY_MANAGEMENT_AUDIT', 'entity_management'),
  layout(3006, undefined, 'group_management'),
  layout(6003, 'API_ACTIVITY', 'api_activity'),
  layout(0, undefined, 'base_event'),
];

/** The class uids the compactor writes. */
export const OCSF_CLASS_UIDS = OCSF_CLASS_LAYOUTS.map((c) => c.classUid);

/** The layout of one class (every OcsfClassUid has one). */
export function ocsfClassLayout(classUid: OcsfClassUid): OcsfClassLayout {
  const found = OCSF_CLASS_LAYOUTS.find((c) => c.classUid === classUid);
  if (found === undefined) throw new Error(`no OCSF layout for class ${classUid}`);
  return found;
}

/** `<dataPrefix>-ocsf`: the root of the OCSF copy in the archive bucket (a sibling of the NDJSON prefix). */
export const ocsfRoot = (dataPrefix: string): string => `${dataPrefix}-ocsf`;

/**
 * CreateCustomLogSource's limit on `sourceName`: the provider role it creates is named
 * `AmazonSecurityLake-Provider-<name>-<region>` and must stay within IAM's 64 characters.
 * https://awscli.amazonaws.com/v2/documentation/api/latest/reference/securitylake/create-custom-log-source.html
 */
export const SECURITY_LAKE_SOURCE_NAME_MAX = MAX_CUSTOM_SOURCE_NAME;

/**
 * A custom source's `provider.location` as CreateCustomLogSource returns it,
 * `s3://<bucket>/ext/<source name>/` (the trailing slash is optional).
 */
export const SECURITY_LAKE_LOCATION = new RegExp(
  `^s3://([a-z0-9](?:[a-z0-9-]|\\.(?!\\.)){1,61}[a-z0-9])/ext/([A-Za-z0-9_-]{1,${MAX_CUSTOM_SOURCE_NAME}})/?$`,
);

/** The bucket and source name of a location, or undefined when it is not one. */
export function parseSecurityLakeLocation(
  location: string,
): { bucket: string; sourceName: string } | undefined {
  const match = SECURITY_LAKE_LOCATION.exec(location);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { bucket: match[1], sourceName: match[2] };
}

/** One entry of the compactor's SECURITY_LAKE_TARGETS. */
export interface SecurityLakeTarget {
  classUid: number;
  bucket: string;
  /** `ext/<source name>/`. */
  prefix: string;
  roleArn: string;
  externalId: string;
}

/** What securityLakeTargetsOf reads (the validated `ocsf.securityLake`). */
export interface SecurityLakeSettings {
  externalId: string;
  customSources: ReadonlyArray<{ classUid: number; providerRoleArn: string; location: string }>;
}

/** The compactor's SECURITY_LAKE_TARGETS for a validated `ocsf.securityLake`, in configuration order. */
export function securityLakeTargetsOf(settings: SecurityLakeSettings): SecurityLakeTarget[] {
  return settings.customSources.map((source) => {
    const location = parseSecurityLakeLocation(source.location);
    if (location === undefined) throw new Error(`not a custom source location: ${source.location}`);
    return {
      classUid: source.classUid,
      bucket: location.bucket,
      prefix: `ext/${location.sourceName}/`,
      roleArn: source.providerRoleArn,
      externalId: settings.externalId,
    };
  });
}

/**
 * The objects the crawler reads when no custom source is known yet: the `ext/` prefix of every
 * Security Lake bucket (they are all named `aws-security-data-lake-<region>-<id>`).
 */
export const UNKNOWN_CUSTOM_SOURCES_OBJECTS = 'aws-security-data-lake-*/ext/*';

/** Props of the crawler role. */
export interface SecurityLakeCrawlerRoleProps {
  /** The custom sources already created; none → every Security Lake bucket's custom sources. */
  targets: readonly Pick<SecurityLakeTarget, 'bucket' | 'prefix'>[];
}

/**
 * The role Security Lake's Glue crawlers run as (CreateCustomLogSource's
 * `crawlerConfiguration.roleArn`): assumable by AWS Glue only, with the AWS managed policy
 * AWSGlueServiceRole (the Data Catalog, and s3:ListBucket) and read access to the custom
 * sources' objects, which is what the API reference recommends.
 * https://docs.aws.amazon.com/security-lake/latest/APIReference/API_CustomLogSourceCrawlerConfiguration.html
 * https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html
 */
export class SecurityLakeCrawlerRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SecurityLakeCrawlerRoleProps) {
    super(scope, id);
    const objects =
      props.targets.length === 0
        ? [UNKNOWN_CUSTOM_SOURCES_OBJECTS]
        : [...new Set(props.targets.map((t) => `${t.bucket}/${t.prefix}*`))];
    const glueServiceRole = iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSGlueServiceRole');
    this.role = new iam.Role(this, 'CrawlerRole', {
      description:
        'Amazon Security Lake custom sources of the Mimecast audit lake: the role their Glue crawlers run as',
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      managedPolicies: [glueServiceRole],
      inlinePolicies: {
        ReadTheCustomSources: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'ReadTheCustomSourceObjects',
              actions: ['s3:GetObject'],
              resources: objects.map((o) => `arn:${Aws.PARTITION}:s3:::${o}`),
            }),
          ],
        }),
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSGlueServiceRole]',
      reason:
        'Security Lake recommends AWSGlueServiceRole for the crawler role of a custom source (CreateCustomLogSource, crawlerConfiguration.roleArn); AWS keeps it in step with what Glue crawlers call.',
    });
    for (const object of objects) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${object}]`,
        reason:
          object === UNKNOWN_CUSTOM_SOURCES_OBJECTS
            ? "No custom source exists yet, so its bucket is unknown: the crawler may read (only read) the custom-source prefix ext/ of this account's Security Lake buckets until ocsf.securityLake.customSources names them."
            : 'The crawler reads the objects the compactor writes under this custom source prefix (one per source, day and class, created at run time); read-only, and no other prefix.',
      });
    }
  }
}
