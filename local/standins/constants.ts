/** Region and credentials shared by every stand-in and by the clients that talk to them. */

export const STANDIN_REGION = 'us-east-1';

/**
 * s3rver verifies SigV4 signatures against its one built-in key pair (S3RVER/S3RVER), so the
 * same dummy pair is used for all stand-ins; dynalite and the Secrets Manager stand-in ignore it.
 */
export const STANDIN_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
