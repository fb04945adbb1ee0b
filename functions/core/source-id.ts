/**
 * What a source id may be (DESIGN.md): lower-case letters, digits, `-` and `_`, at most 63
 * characters, starting with a letter or digit. It appears in S3 keys, DynamoDB keys, IAM session
 * tags, SQL literals and the partition projection's comma-separated enum, none of which it can
 * break out of.
 */
export const SOURCE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The rule in words (validation messages). */
export const SOURCE_ID_RULE = 'lower-case letters, digits, "-" or "_", at most 63 characters';
