/** What every scenario gets from the runner, and what it gives back. */
import type { ProfileSummary } from '../lib/profile.js';
import type { Row } from '../lib/report.js';

/** Shared by all scenarios of one run. */
export interface ScenarioContext {
  /** Scratch directory of this run (bundles, request/result files, profiles). */
  workDir: string;
  /** Bundled benchmark children. */
  children: { collect: string; fetch: string; query: string; compact: string };
  /** The createRequire banner the Lambda bundles use. */
  banner: { banner: string; from: string };
  /** Show child output. */
  verbose: boolean;
  /** Run the throughput collector once more under --cpu-prof (also done automatically when target 1 is missed). */
  profile: boolean;
  /** Progress line on stderr (the table goes to stdout). */
  progress(message: string): void;
}

/** A scenario's rows (one per figure), plus CPU profiles (by name) when taken. */
export interface ScenarioOutcome {
  rows: Row[];
  profiles?: Record<string, ProfileSummary> | undefined;
}
