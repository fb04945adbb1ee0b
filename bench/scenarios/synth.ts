/**
 * Benchmark 12: CDK synthesis at fleet scale (issue 15), in this process. The stack is built the
 * way test/infra/helpers.ts builds it (cdk.json's context and default configuration, esbuild
 * bundling skipped: it costs the same for any number of sources), in fleet mode with 1, 50 and 500
 * sources, and `app.synth()` is timed (best of SYNTH_ROUNDS, each in a fresh App, after one
 * uncounted warm-up); the baseline is the per-source mode with 1 source in the same run. The resource count is the figure with a
 * target: fleet mode must hold the same resources for any number of sources, at most 150.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App } from 'aws-cdk-lib';
import { type AppConfigInput, CONFIG_CONTEXT_KEY, parseAppConfig } from '#lib/config.js';
import { MimecastAuditLakeStack } from '#lib/stack.js';
import { ROOT } from '../lib/bundle.js';
import { notMeasured, type Row, verdictOf } from '../lib/report.js';
import { round } from '../lib/stats.js';
import type { ScenarioContext } from './context.js';

/** Fleet sizes measured. */
const SIZES = [1, 50, 500] as const;
/** Rounds per size (a fresh App each; the best is reported). */
const SYNTH_ROUNDS = 3;
/** The most resources a fleet-mode stack may hold (the target). */
const MAX_FLEET_STACK_RESOURCES = 150;

interface CdkJson {
  context: Record<string, unknown>;
}

/** One measured synthesis. */
interface Synthesis {
  /** Building the construct tree (the stack's constructor). */
  constructMs: number;
  /** `app.synth()`: validation, template and assembly written to disk. */
  synthMs: number;
  resources: number;
}

/** Builds and synthesizes the stack for `overrides` once, into `outdir`. */
function synthesizeOnce(cdkJson: CdkJson, overrides: Partial<AppConfigInput>, outdir: string): Synthesis {
  const { [CONFIG_CONTEXT_KEY]: defaults, ...context } = cdkJson.context;
  const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const config = parseAppConfig({ ...(defaults as AppConfigInput), ...overrides });
  const constructStarted = performance.now();
  new MimecastAuditLakeStack(app, config.stackName, { config });
  const synthStarted = performance.now();
  const assembly = app.synth();
  const synthEnded = performance.now();
  const template = assembly.getStackByName(config.stackName).template as { Resources: object };
  return {
    constructMs: synthStarted - constructStarted,
    synthMs: synthEnded - synthStarted,
    resources: Object.keys(template.Resources).length,
  };
}

/** The best of SYNTH_ROUNDS syntheses (by synth time; the resource count is the same in each). */
function bestOf(cdkJson: CdkJson, overrides: Partial<AppConfigInput>, outdir: string): Synthesis {
  let best: Synthesis | undefined;
  for (let round = 0; round < SYNTH_ROUNDS; round += 1) {
    const result = synthesizeOnce(cdkJson, overrides, join(outdir, String(round)));
    if (best !== undefined && result.resources !== best.resources) {
      throw new Error(`resource count changed between rounds (${best.resources} → ${result.resources})`);
    }
    if (best === undefined || result.synthMs < best.synthMs) best = result;
  }
  if (best === undefined) throw new Error('no synthesis');
  return best;
}

const sourcesOf = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `s${i}` }));

/** Runs benchmark 12. */
export async function runSynthBench(ctx: ScenarioContext): Promise<{ rows: Row[] }> {
  const name = 'CDK synth at fleet scale';
  const target = `fleet resources equal at ${SIZES.join('/')} sources, ≤ ${MAX_FLEET_STACK_RESOURCES}`;
  try {
    const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as CdkJson;
    ctx.progress('12: per-source baseline (1 source), after a warm-up synthesis');
    // The first synthesis of a process loads and compiles aws-cdk-lib: not counted for anyone.
    synthesizeOnce(cdkJson, { sources: sourcesOf(1) }, join(ctx.workDir, 'synth', 'warm-up'));
    const baseline = bestOf(cdkJson, { sources: sourcesOf(1) }, join(ctx.workDir, 'synth', 'baseline'));
    const fleet = new Map<number, Synthesis>();
    for (const size of SIZES) {
      ctx.progress(`12: fleet mode, ${size} source${size === 1 ? '' : 's'} × ${SYNTH_ROUNDS}`);
      fleet.set(
        size,
        bestOf(
          cdkJson,
          { fleet: { enabled: true }, sources: sourcesOf(size) },
          join(ctx.workDir, 'synth', `fleet-${size}`),
        ),
      );
    }
    const counts = SIZES.map((size) => fleet.get(size)?.resources ?? Number.NaN);
    const constant = counts.every((c) => c === counts[0]);
    const largest = Math.max(...counts);
    const ok = constant && largest <= MAX_FLEET_STACK_RESOURCES;
    const at = (size: number) => fleet.get(size) as Synthesis;
    return {
      rows: [
        {
          id: '12',
          name,
          measured: `fleet ${SIZES.map((s) => `${s}: ${Math.round(at(s).synthMs)} ms`).join(', ')}; ${counts.join('/')} resources`,
          baseline: `per-source, 1 source: ${Math.round(baseline.synthMs)} ms, ${baseline.resources} resources`,
          target,
          verdict: verdictOf(ok),
          note: constant
            ? `${largest} resources at any size; synth best of ${SYNTH_ROUNDS}, bundling skipped`
            : `resource counts differ: ${counts.join(', ')}`,
          figures: {
            rounds: SYNTH_ROUNDS,
            baseline: {
              sources: 1,
              resources: baseline.resources,
              synthMs: round(baseline.synthMs),
              constructMs: round(baseline.constructMs),
            },
            fleet: SIZES.map((size) => ({
              sources: size,
              resources: at(size).resources,
              synthMs: round(at(size).synthMs),
              constructMs: round(at(size).constructMs),
            })),
          },
        },
      ],
    };
  } catch (err: unknown) {
    return { rows: [notMeasured('12', name, target, err)] };
  }
}
