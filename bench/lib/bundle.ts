/**
 * esbuild bundles: the Lambda functions exactly as the CDK construct bundles them (cold-start
 * benchmark), and the benchmark children (plain node processes, so their memory and CPU are
 * the product's, without a TypeScript loader).
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/** The repository root (bench/lib/ is two levels down). */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** The banner the construct uses, copied here only as a fallback (see lambdaBanner). */
const FALLBACK_BANNER =
  "import { createRequire as __projectCreateRequire } from 'node:module'; const require = __projectCreateRequire(import.meta.url);";

/**
 * The createRequire banner from lib/constructs/project-function.ts, so the benchmark bundles
 * exactly what is deployed; the construct imports aws-cdk-lib, so a broken or missing
 * construct falls back to the same text kept here.
 */
export async function lambdaBanner(): Promise<{ banner: string; from: string }> {
  try {
    const mod = (await import('#lib/constructs/project-function.js')) as { ESM_REQUIRE_BANNER?: unknown };
    if (typeof mod.ESM_REQUIRE_BANNER === 'string') {
      return { banner: mod.ESM_REQUIRE_BANNER, from: 'lib/constructs/project-function.ts' };
    }
  } catch (err: unknown) {
    if (!(err instanceof Error)) throw err;
  }
  return { banner: FALLBACK_BANNER, from: 'bench fallback (construct not importable)' };
}

/** A built bundle. */
export interface Bundle {
  entry: string;
  file: string;
  bytes: number;
}

/**
 * Bundles `entry` with the construct's settings (NodejsFunction, bundling in
 * project-function.ts): ESM, platform node, target node22, main fields module/main, the
 * createRequire banner, minified, AWS SDK bundled (nothing external). Source maps go to a
 * separate `.map` file, so they do not count towards the size.
 */
export async function bundleLikeLambda(
  entry: string,
  outDir: string,
  name: string,
  banner: string,
): Promise<Bundle> {
  const file = join(outDir, name, 'index.mjs');
  await build({
    entryPoints: [resolve(ROOT, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: banner },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'error',
  });
  return { entry, file, bytes: (await stat(file)).size };
}

/** The benchmark children, bundled for the node running the benchmark (not minified: readable profiles). */
export async function bundleChildren(
  outDir: string,
  banner: string,
): Promise<Record<'collect' | 'fetch' | 'query' | 'compact', string>> {
  const names = ['collect', 'fetch', 'query', 'compact'] as const;
  await build({
    entryPoints: names.map((n) => ({
      in: resolve(ROOT, 'bench', 'child', `${n}-child.ts`),
      out: `${n}-child`,
    })),
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    mainFields: ['module', 'main'],
    banner: { js: banner },
    logLevel: 'error',
  });
  return {
    collect: join(outDir, 'collect-child.mjs'),
    fetch: join(outDir, 'fetch-child.mjs'),
    query: join(outDir, 'query-child.mjs'),
    compact: join(outDir, 'compact-child.mjs'),
  };
}
