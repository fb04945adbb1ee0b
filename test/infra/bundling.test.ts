/**
 * One real esbuild bundle per function (the other infra tests skip bundling for speed): the
 * assets exist, are ESM with the `require` banner and linked source maps, and actually load.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ESM_REQUIRE_BANNER } from '#lib/constructs/project-function.js';
import { type Built, buildStack, collectorFunction, queryFunction, single } from './helpers.js';

let built: Built;

beforeAll(() => {
  built = buildStack({}, { bundle: true });
});

/** The directory of a function's bundled asset in the cloud assembly (`asset.<hash>`, uploaded as `<hash>.zip`). */
function assetDir(logicalId: string): string {
  const [, fn] = single(built.template, 'AWS::Lambda::Function', (_r, id) => id === logicalId);
  const key = (fn.Properties.Code as { S3Key?: unknown }).S3Key;
  if (typeof key !== 'string' || !key.endsWith('.zip')) throw new Error(`no asset key on ${logicalId}`);
  return join(built.app.outdir, `asset.${key.slice(0, -'.zip'.length)}`);
}

describe.each([
  ['collector', () => collectorFunction(built.template, 'default')[0]],
  ['query', () => queryFunction(built.template)[0]],
])('the %s bundle', (_name, logicalId) => {
  it('is a minified ESM file with the require banner and a linked source map', () => {
    const dir = assetDir(logicalId());
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');

    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    // Minified: lines average thousands of characters (only string literals keep their newlines).
    expect(code.length / code.split('\n').length).toBeGreaterThan(1_000);
  });

  it('loads as an ES module and exports the handler', async () => {
    const mod = (await import(pathToFileURL(join(assetDir(logicalId()), 'index.mjs')).href)) as Record<
      string,
      unknown
    >;

    expect(typeof mod.handler).toBe('function');
  });
});
