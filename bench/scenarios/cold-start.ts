/**
 * Benchmark 4. Each function is bundled as the CDK construct bundles it, beside an empty
 * handler bundled the same way; module initialisation is timed inside fresh `node` processes
 * (performance.now() around `await import(bundle)`), with NODE_OPTIONS=--enable-source-maps
 * as the construct sets it, 10 processes per bundle, interleaved so drift hits all alike.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COLD_START } from '../config.js';
import { type Bundle, bundleLikeLambda } from '../lib/bundle.js';
import { formatBytes, notMeasured, type Row, verdictOf } from '../lib/report.js';
import { median, round } from '../lib/stats.js';
import type { ScenarioContext } from './context.js';

/** The timing script run by `node --input-type=module -e`; argv[1] is the bundle's file URL. */
const IMPORT_TIMER = [
  'const started = performance.now();',
  'await import(process.argv[1]);',
  'process.stdout.write(String(performance.now() - started));',
].join(' ');

/** What a handler's import needs so it does not throw (values only have to be well-formed). */
const HANDLER_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bench-cold-start',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  MIMECAST_SECRET_ID: 'bench/mimecast',
  BUCKET_NAME: 'bench-bucket',
  CURSOR_TABLE_NAME: 'bench-cursor',
  SOURCE_ID: 'default',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'Bench',
  NODE_OPTIONS: '--enable-source-maps',
};

const FUNCTIONS = [
  { key: 'collector', entry: 'functions/collector/handler.ts' },
  { key: 'query', entry: 'functions/query/handler.ts' },
] as const;

async function importMs(bundle: Bundle): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', IMPORT_TIMER, pathToFileURL(bundle.file).href],
    {
      env: { ...process.env, ...HANDLER_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-2000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  // Handlers may log on import; the timing is the last thing written.
  const ms = Number(out.trim().split(/\s+/).at(-1));
  if (code !== 0 || !Number.isFinite(ms))
    throw new Error(`importing ${bundle.entry} failed (${code}): ${err.trim().slice(-300)}`);
  return ms;
}

/** Runs benchmark 4: rows 4a–4d (size and init of each function). */
export async function runColdStart(ctx: ScenarioContext): Promise<{ rows: Row[] }> {
  const outDir = join(ctx.workDir, 'lambda');
  ctx.progress('4: bundling the functions and an empty handler like the CDK construct');
  let empty: Bundle;
  try {
    empty = await bundleLikeLambda('bench/fixtures/empty-handler.ts', outDir, 'empty', ctx.banner.banner);
  } catch (err: unknown) {
    return {
      rows: FUNCTIONS.flatMap((f, i) => [
        notMeasured(`4${'ac'[i]}`, `Bundle size: ${f.key}`, '≤ 1 MiB', err),
        notMeasured(
          `4${'bd'[i]}`,
          `Module init: ${f.key}`,
          `≤ empty + ${COLD_START.maxInitOverEmptyMs} ms`,
          err,
        ),
      ]),
    };
  }
  const built = await Promise.all(
    FUNCTIONS.map(async (f) => {
      try {
        return { ...f, bundle: await bundleLikeLambda(f.entry, outDir, f.key, ctx.banner.banner) };
      } catch (err: unknown) {
        return { ...f, error: err };
      }
    }),
  );

  const timings = new Map<string, number[]>([['empty', []]]);
  const failures = new Map<string, unknown>();
  for (const f of built) if ('bundle' in f) timings.set(f.key, []);
  ctx.progress(`4: timing module init (${COLD_START.processes} fresh processes per bundle)`);
  for (let i = 0; i < COLD_START.processes; i += 1) {
    for (const [key, bundle] of [
      ['empty', empty] as const,
      ...built.flatMap((f) => ('bundle' in f ? [[f.key, f.bundle] as const] : [])),
    ]) {
      if (failures.has(key)) continue;
      try {
        timings.get(key)?.push(await importMs(bundle));
      } catch (err: unknown) {
        failures.set(key, err);
      }
    }
  }
  const emptyMedian = median(timings.get('empty') ?? []);

  const rows: Row[] = [];
  built.forEach((f, i) => {
    const sizeId = `4${'ac'[i]}`;
    const initId = `4${'bd'[i]}`;
    const sizeName = `Bundle size: ${f.key} (minified ESM, node22)`;
    const initName = `Module init: ${f.key} (median of ${COLD_START.processes} processes)`;
    const sizeTarget = `≤ ${formatBytes(COLD_START.maxBundleBytes)}`;
    const initTarget = `≤ empty + ${COLD_START.maxInitOverEmptyMs} ms`;
    if (!('bundle' in f)) {
      rows.push(
        notMeasured(sizeId, sizeName, sizeTarget, f.error),
        notMeasured(initId, initName, initTarget, f.error),
      );
      return;
    }
    const sizeMet = f.bundle.bytes <= COLD_START.maxBundleBytes;
    rows.push({
      id: sizeId,
      name: sizeName,
      measured: formatBytes(f.bundle.bytes),
      baseline: `empty handler ${formatBytes(empty.bytes)}`,
      target: sizeTarget,
      verdict: verdictOf(sizeMet),
      note: `${((f.bundle.bytes / COLD_START.maxBundleBytes) * 100).toFixed(0)} % of the limit`,
      figures: {
        bytes: f.bundle.bytes,
        emptyBytes: empty.bytes,
        limitBytes: COLD_START.maxBundleBytes,
        met: sizeMet,
      },
    });
    const failure = failures.get(f.key) ?? failures.get('empty');
    if (failure !== undefined) {
      rows.push(notMeasured(initId, initName, initTarget, failure));
      return;
    }
    const samples = timings.get(f.key) ?? [];
    const initMedian = median(samples);
    const extra = initMedian - emptyMedian;
    const initMet = extra <= COLD_START.maxInitOverEmptyMs;
    rows.push({
      id: initId,
      name: initName,
      measured: `${initMedian.toFixed(1)} ms`,
      baseline: `empty handler ${emptyMedian.toFixed(1)} ms`,
      target: initTarget,
      verdict: verdictOf(initMet),
      note: `+${extra.toFixed(1)} ms over empty`,
      figures: {
        medianMs: round(initMedian, 2),
        emptyMedianMs: round(emptyMedian, 2),
        overEmptyMs: round(extra, 2),
        samplesMs: samples.map((s) => round(s, 2)),
        emptySamplesMs: (timings.get('empty') ?? []).map((s) => round(s, 2)),
        limitOverEmptyMs: COLD_START.maxInitOverEmptyMs,
        nodeOptions: HANDLER_ENV.NODE_OPTIONS,
        met: initMet,
      },
    });
  });
  return { rows };
}
