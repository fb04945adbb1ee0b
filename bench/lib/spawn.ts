/** Runs a benchmark child: request in a JSON file, answer read back from another. */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildRequest, ChildResult } from '../child/protocol.js';

let sequence = 0;

/** Options of runChildProcess. */
export interface ChildOptions {
  /** Variables added to this process's environment. */
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Where request/result files go. */
  workDir: string;
  /** Show the child's stdout/stderr (BENCH_VERBOSE=1). */
  verbose?: boolean;
}

/** Spawns `node <script> <request> <result>`; rejects with the child's stderr tail on failure. */
export async function runChildProcess<R extends ChildResult>(
  script: string,
  request: ChildRequest,
  options: ChildOptions,
): Promise<R> {
  sequence += 1;
  const requestFile = join(options.workDir, `request-${sequence}.json`);
  const resultFile = join(options.workDir, `result-${sequence}.json`);
  await writeFile(requestFile, JSON.stringify(request));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, requestFile, resultFile], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', options.verbose ? 'inherit' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (options.verbose) process.stderr.write(chunk);
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', resolvePromise);
  });
  if (code !== 0)
    throw new Error(
      `child ${request.mode} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
    );
  return JSON.parse(await readFile(resultFile, 'utf8')) as R;
}
