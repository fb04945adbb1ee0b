/**
 * The stack's customer-managed KMS key and the narrow way principals get to use it: only
 * through the AWS services that hold our data (kms:ViaService), never directly.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Services that encrypt our data with the stack key on a caller's behalf. */
export type KeyService = 's3' | 'dynamodb' | 'secretsmanager' | 'sqs' | 'sns';

/** One customer-managed key for the archive, the cursor table, secrets, queues and the alarm topic. */
export class StackKey extends Construct {
  /** The key itself. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Mimecast audit lake: archive, cursor table, credentials, queues and alarm topic',
      // Yearly automatic rotation: old key material stays available for decrypting old objects.
      enableKeyRotation: true,
      // The archive is encrypted with this key: deleting it would make every object unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    // CloudWatch's use of the key (for the alarm topic) is granted where the topic is made:
    // Monitoring, which knows the alarms' names for the aws:SourceArn condition.
  }

  /**
   * Lets `grantee` use the key with `actions`, but only when the request comes through one of
   * `services` in this region (kms:ViaService), so the role cannot decrypt data it fetched elsewhere.
   */
  grantVia(grantee: iam.IGrantable, actions: string[], services: KeyService[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions,
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': services.map((s) => `${s}.${Aws.REGION}.amazonaws.com`) },
        },
      }),
    );
  }
  /** S3 objects under the key: data keys to write them (SSE-KMS), Decrypt to read them back. */
  grantObjectReadWrite(grantee: iam.IGrantable): void {
    this.grantVia(grantee, ['kms:Decrypt', 'kms:GenerateDataKey'], ['s3']);
  }

  /** Item reads and writes of a DynamoDB table under the key (its customer-managed key use). */
  grantItemReadWrite(grantee: iam.IGrantable): void {
    this.grantVia(
      grantee,
      ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      ['dynamodb'],
    );
  }
}

/** An existing secret under a customer-managed key of its own: Decrypt through Secrets Manager only. */
export function grantForeignSecretKey(role: iam.IGrantable, keyArn: string): void {
  role.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [keyArn],
      conditions: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } },
    }),
  );
}
