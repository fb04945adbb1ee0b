/**
 * cdk-nag acknowledgements that apply to every project function, in one place so each carries
 * the same specific reason. Acknowledgements elsewhere sit next to the resource they concern.
 */
import { Validations } from 'aws-cdk-lib';
import type { ProjectFunction } from './constructs/project-function.js';

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
