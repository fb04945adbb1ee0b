#!/usr/bin/env bash
# Synthesizes the CDK app (default configuration, a full one: several sources, an existing
# secret, JWT auth, e-mail, lifecycle, Object Lock, reserved concurrency, per-source rescans, NDJSON transition, Security Lake;
# and fleet mode with 50 sources, one of them with an existing secret) and runs cfn-lint on the
# templates when it is installed.
# Fails on cfn-lint errors only; warnings and informational findings are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "cfn-lint not installed: skipped"
  exit 0
fi

export CDK_DISABLE_VERSION_CHECK=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

full='{
  "stackName": "MimecastAuditLakeFull",
  "sources": [
    { "id": "eu", "settleSeconds": 600, "rescanAfterSeconds": [] },
    { "id": "us", "secretArn": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:mimecast/us-AbCdEf",
      "secretKmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" }
  ],
  "alarmEmails": ["soc@example.com", "oncall@example.com"],
  "retentionDays": 2555,
  "noncurrentVersionRetentionDays": 400,
  "objectLock": { "mode": "COMPLIANCE", "retentionDays": 365 },
  "reservedConcurrency": 1,
  "rescanAfterSeconds": [1800, 43200],
  "transitions": { "infrequentAccessAfterDays": 30, "glacierInstantRetrievalAfterDays": 90 },
  "api": { "authMode": "jwt", "jwt": { "issuer": "https://idp.example.com/", "audience": ["audit-api"] } },
  "compaction": { "ndjsonTransition": { "afterDays": 90, "storageClass": "GLACIER_IR" } },
  "ocsf": { "securityLake": { "externalId": "mimecast-audit-lake-example", "customSources": [
    { "classUid": 3002, "providerRoleArn": "arn:aws:iam::111122223333:role/AmazonSecurityLake-Provider-mimecast-auth-eu-west-1",
      "location": "s3://aws-security-data-lake-eu-west-1-abcdef/ext/mimecast-auth/" } ] } }
}'

# The CDK CLI keeps only the first line of a -c value: pass the JSON on one line.
full="$(node -e 'process.stdout.write(JSON.stringify(JSON.parse(process.argv[1])))' "$full")"

# Fleet mode: 50 declared sources (resources do not grow with them), per-source settings, an existing secret.
fleet="$(node -e '
const sources = Array.from({ length: 50 }, (_, i) => ({ id: `tenant-${i}` }));
sources[1] = { id: "tenant-1", scheduleMinutes: 15, settleSeconds: 600, rescanAfterSeconds: [] };
sources[2] = { id: "tenant-2", secretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tenant-2-AbCdEf" };
process.stdout.write(JSON.stringify({ stackName: "MimecastAuditLakeFleet", fleet: { enabled: true }, sources }));
')"

echo "cfn-lint $(cfn-lint --version 2>&1 | awk '{print $NF}'): synthesizing..."
npx cdk synth --quiet --output "$work/default" >/dev/null 2>"$work/synth.log" || { cat "$work/synth.log"; exit 1; }
npx cdk synth --quiet --output "$work/full" -c "mimecastAuditLake=$full" >/dev/null 2>"$work/synth.log" || { cat "$work/synth.log"; exit 1; }
npx cdk synth --quiet --output "$work/fleet" -c "mimecastAuditLake=$fleet" >/dev/null 2>"$work/synth.log" || { cat "$work/synth.log"; exit 1; }

status=0
cfn-lint --format parseable -- "$work"/default/*.template.json "$work"/full/*.template.json "$work"/fleet/*.template.json || status=$?
# cfn-lint's exit code is a bit mask: 1 = fatal, 2 = errors, 4 = warnings, 8 = informational.
if (( status & 3 )); then
  echo "cfn-lint: errors found (exit $status)"
  exit 1
fi
echo "cfn-lint: no errors (exit $status)"
