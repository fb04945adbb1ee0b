/**
 * SigV4 for the deployed API (API Gateway HTTP API with IAM authorization): requests are signed
 * for the `execute-api` service with credentials from the SDK's default chain (environment,
 * shared config and SSO profiles, container and instance roles), as the AWS CLI would find them.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** A request to sign: what fetch will send. */
export interface UnsignedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
}

/** The region of an execute-api host (`<api>.execute-api.<region>.amazonaws.com`), if it is one. */
export function regionOfHost(hostname: string): string | undefined {
  return /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(hostname)?.[1];
}

/** Signs requests for one region. */
export function createSigner(region: string): (request: UnsignedRequest) => Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: defaultProvider(),
    sha256: Hash.bind(null, 'sha256'),
  });
  return async ({ method, url, headers, body }) => {
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      query[name] =
        existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      body,
    });
    return signed.headers;
  };
}
