/**
 * The OCSF schema version every event is written against (`metadata.version`).
 *
 * 1.1.0 because that is the version Amazon Security Lake's own OCSF output and AWS's tooling for
 * Security Lake custom sources agree on:
 * - Security Lake user guide, "Open Cybersecurity Schema Framework (OCSF) in Security Lake"
 *   (https://docs.aws.amazon.com/security-lake/latest/userguide/open-cybersecurity-schema-framework.html):
 *   custom-source data "must adhere to the OCSF schema"; the natively converted AWS sources are
 *   listed in two source versions, version 1 with `metadata.version` 1.0.0-rc.2 and version 2
 *   (the current one) with 1.1.0.
 * - aws-samples/amazon-security-lake-transformation-library, AWS's library of Security Lake custom
 *   sources: "This project produces logs mapped to OCSF v1.1.0".
 * - CloudWatch Logs `parseToOCSF` (the AWS-managed OCSF converter) offers V1.1 (and now V1.5);
 *   1.1 is the version offered everywhere.
 * A later version would add attributes consumers of a Security Lake table built for 1.1.0 do not
 * know; docs/ocsf.md says how to move on.
 */
export const OCSF_VERSION = '1.1.0';
