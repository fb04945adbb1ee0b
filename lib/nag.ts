/**
 * cdk-nag acknowledgements that apply to every project function, in one place so each carries
 * the same specific reason. Acknowledgements elsewhere sit next to the resource they concern.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { ProjectFunction } from './constructs/project-function.js';

/** How cdk-nag names `bucket`'s ARN in a finding id (`AwsSolutions-IAM5[<this>/<prefix>/*]`). */
export function bucketFinding(bucket: s3.IBucket): string {
  return `Resource::<${Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
}

/** Acknowledges the findings every ProjectFunction has by design (X-Ray wildcard, pinned runtime). */
export function acknowledgeFunctionBaseline(fn: ProjectFunction<object>): void {
  Validations.of(fn.executionRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only xray:PutTraceSegments and xray:PutTelemetryRecords (added by active tracing) use "*": X-Ray has no resource-level permissions for them.',
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'Pinned to Node.js 22 on purpose: middy 6 and Powertools 2.35 are tested on it and it is supported by Lambda until 2027; move to a newer runtime deliberately after running the test suite on it.',
  });
}
