import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LOG_FIELDS, QUERY_TIMEOUT } from '#lib/constructs/query-api.js';
import { QUERY_OPERATIONS } from '#query/lib/routes.js';
import { buildStack, flatten, queryFunction, resourcesOf, single } from './helpers.js';

const EXPECTED_ROUTE_KEYS = [...QUERY_OPERATIONS.map((o) => `${o.method} ${o.path}`), 'ANY /{proxy+}'].sort();

let iam: Template;
let jwt: Template;

beforeAll(() => {
  iam = buildStack({ api: { throttleRateLimit: 7, throttleBurstLimit: 14 } }).template;
  jwt = buildStack({
    api: {
      authMode: 'jwt',
      jwt: { issuer: 'https://idp.example.com/', audience: ['audit-api', 'audit-cli'] },
    },
  }).template;
});

function routes(template: Template) {
  return Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
}

describe('HTTP API authorization', () => {
  it('has the query API routes plus an authorized catch-all', () => {
    expect(
      routes(iam)
        .map((r) => r.RouteKey)
        .sort(),
    ).toEqual(EXPECTED_ROUTE_KEYS);
  });

  it('requires IAM (SigV4) authorization on every route by default', () => {
    const all = routes(iam);

    expect(all.length).toBe(EXPECTED_ROUTE_KEYS.length);
    expect(all.filter((r) => r.AuthorizationType !== 'AWS_IAM')).toEqual([]);
  });

  it('requires the JWT authorizer on every route in jwt mode', () => {
    const [authorizerId, authorizer] = single(jwt, 'AWS::ApiGatewayV2::Authorizer');
    const all = routes(jwt);

    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://idp.example.com/', Audience: ['audit-api', 'audit-cli'] },
    });
    expect(all.map((r) => r.RouteKey).sort()).toEqual(EXPECTED_ROUTE_KEYS);
    expect(
      all.filter((r) => r.AuthorizationType !== 'JWT' || flatten(r.AuthorizerId) !== `<${authorizerId}>`),
    ).toEqual([]);
  });

  it('leaves no route of any mode without authorization', () => {
    for (const template of [iam, jwt]) {
      for (const route of routes(template)) expect(['AWS_IAM', 'JWT']).toContain(route.AuthorizationType);
    }
  });
});

describe('HTTP API stage and integration', () => {
  it('throttles the default stage as configured and auto-deploys it', () => {
    const [, stage] = single(iam, 'AWS::ApiGatewayV2::Stage');

    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 14 },
    });
  });

  it('writes JSON access logs with the request id to a log group with retention', () => {
    const [, stage] = single(iam, 'AWS::ApiGatewayV2::Stage');
    const settings = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    const logGroupId = /^<(.+)\.Arn>$/.exec(flatten(settings.DestinationArn))?.[1] ?? '';
    const [, logGroup] = single(iam, 'AWS::Logs::LogGroup', (_r, id) => id === logGroupId);

    expect(JSON.parse(settings.Format)).toEqual(ACCESS_LOG_FIELDS);
    expect(JSON.parse(settings.Format).requestId).toBe('$context.requestId');
    expect(logGroup.Properties.RetentionInDays).toBe(90);
  });

  it('sends every route to the query function with payload format 2.0', () => {
    const [fnId] = queryFunction(iam);
    const integrations = Object.values(resourcesOf(iam, 'AWS::ApiGatewayV2::Integration'));

    expect(integrations).toHaveLength(1);
    expect(integrations[0]?.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    expect(flatten(integrations[0]?.Properties.IntegrationUri)).toBe(`<${fnId}.Arn>`);
  });

  it('stops the query function before API Gateway’s 30-second limit', () => {
    const [, fn] = queryFunction(iam);

    expect(fn.Properties.Timeout).toBe(QUERY_TIMEOUT.toSeconds());
    expect(QUERY_TIMEOUT.toSeconds()).toBeLessThan(30);
  });

  it('keeps the execute-api endpoint (it is how signed clients reach the API)', () => {
    const [, api] = single(iam, 'AWS::ApiGatewayV2::Api');

    expect(api.Properties.ProtocolType).toBe('HTTP');
    expect(api.Properties.DisableExecuteApiEndpoint).toBe(false);
  });
});
