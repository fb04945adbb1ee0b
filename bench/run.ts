/**
 * `npm run bench`: the performance benchmarks of issue 6. Each figure is printed beside a
 * baseline measured in the same run, with its target marked met / not met; the same figures go
 * to bench/results/latest.json. The simulator and the AWS stand-ins run in this process; the
 * measured code runs in child processes (bundled with esbuild, plain node).
 *
 *   npm run bench                     all benchmarks (< 10 minutes on a 2-core machine)
 *   npm run bench -- --only 1,4       some of them (1 also yields 6; 2 also yields 3)
 *   npm run bench -- --profile        also profile the collector (done anyway if target 1 is missed)
 *   BENCH_VERBOSE=1 npm run bench     show the children's output
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import * as config from './config.js';
import { bundleChildren, lambdaBanner, ROOT } from './lib/bundle.js';
import type { ProfileSummary } from './lib/profile.js';
import { markdownTable, type Row } from './lib/report.js';
import { runArchiveQuery } from './scenarios/archive-query.js';
import { runBackfill } from './scenarios/backfill.js';
import { runColdStart } from './scenarios/cold-start.js';
import { runColumnar } from './scenarios/columnar.js';
import { runCompleteness } from './scenarios/completeness.js';
import type { ScenarioContext, ScenarioOutcome } from './scenarios/context.js';
import { runDispatchBench } from './scenarios/dispatch.js';
import { runNormalise } from './scenarios/normalise.js';
import { runQuery } from './scenarios/query.js';
import { runSynthBench } from './scenarios/synth.js';
import { runThroughput } from './scenarios/throughput.js';

/** Scenario groups in run order (the latency-bound backfill last: it is the longest). */
const GROUPS: readonly { ids: readonly string[]; run: (ctx: ScenarioContext) => Promise<ScenarioOutcome> }[] =
  [
    { ids: ['4'], run: runColdStart },
    { ids: ['1', '6'], run: runThroughput },
    { ids: ['5'], run: runQuery },
    { ids: ['7'], run: runCompleteness },
    { ids: ['8'], run: runArchiveQuery },
    { ids: ['9'], run: runColumnar },
    { ids: ['10'], run: runNormalise },
    { ids: ['11'], run: runDispatchBench },
    { ids: ['12'], run: runSynthBench },
    { ids: ['2', '3'], run: runBackfill },
  ];

function parseArgs(argv: readonly string[]): { only: Set<string> | undefined; profile: boolean } {
  let only: Set<string> | undefined;
  let profile = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--profile') profile = true;
    else if (arg === '--only') {
      only = new Set((argv[i + 1] ?? '').split(',').map((s) => s.trim()));
      i += 1;
    } else if (arg?.startsWith('--only='))
      only = new Set(
        arg
          .slice(7)
          .split(',')
          .map((s) => s.trim()),
      );
    else throw new Error(`unknown argument ${arg}; see the comment at the top of bench/run.ts`);
  }
  return { only, profile };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const progress = (message: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
  const workDir = await mkdtemp(join(tmpdir(), 'mimecast-bench-'));
  try {
    const banner = await lambdaBanner();
    progress(`bundling the benchmark children (banner from ${banner.from})`);
    const children = await bundleChildren(join(workDir, 'children'), banner.banner);
    const ctx: ScenarioContext = {
      workDir,
      children,
      banner,
      verbose: process.env.BENCH_VERBOSE === '1',
      profile: args.profile,
      progress,
    };

    const rows: Row[] = [];
    let profiles: Record<string, ProfileSummary> | undefined;
    for (const group of GROUPS) {
      if (args.only && !group.ids.some((id) => args.only?.has(id))) continue;
      const outcome = await group.run(ctx);
      rows.push(...outcome.rows);
      if (outcome.profiles) profiles = { ...profiles, ...outcome.profiles };
    }
    rows.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));

    const machine = {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    };
    const report = {
      date: new Date().toISOString(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      machine,
      config: {
        seed: config.SEED,
        simulatedNow: new Date(config.SIM_EPOCH_MS).toISOString(),
        eventsPerDay: config.EVENTS_PER_DAY,
        throughput: config.THROUGHPUT,
        backfill: config.BACKFILL,
        coldStart: config.COLD_START,
        query: config.QUERY,
        completeness: config.COMPLETENESS,
      },
      rows,
      ...(profiles ? { profiles } : {}),
    };
    const resultsDir = resolve(ROOT, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);

    const table = markdownTable(rows);
    process.stdout.write(
      `\n${table}\n\n${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}; ${report.date}; ${report.durationSeconds} s in total.\n`,
    );
    for (const [name, profile] of Object.entries(profiles ?? {})) {
      process.stdout.write(`\nCPU profile of the ${name} child (${profile.file}), self time by package:\n`);
      for (const entry of profile.byPackage.slice(0, 6)) {
        process.stdout.write(`  ${entry.percent.toFixed(1).padStart(5)} %  ${entry.name}\n`);
      }
      process.stdout.write('  by function:\n');
      for (const entry of profile.top.slice(0, 12)) {
        process.stdout.write(`  ${entry.percent.toFixed(1).padStart(5)} %  ${entry.name}\n`);
      }
    }
    process.stdout.write('\nFigures saved to bench/results/latest.json\n');
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
