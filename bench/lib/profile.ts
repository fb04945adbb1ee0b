/** Reads a V8 .cpuprofile (node --cpu-prof) and ranks functions and packages by self time. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { round } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A function or package and the share of sampled time spent in it. */
export interface SelfTime {
  name: string;
  selfMs: number;
  percent: number;
}

/** The top of a profile. */
export interface ProfileSummary {
  file: string;
  totalMs: number;
  top: SelfTime[];
  byPackage: SelfTime[];
}

/** The package a script belongs to: an npm package, `node:` internals, or the project path. */
function packageOf(url: string): string {
  if (url === '') return '(native / idle / gc)';
  if (url.startsWith('node:')) return url;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1]) return nm[1];
  const project = /\/(functions\/[^/]+\/[^/]+|bench\/[^/]+)/.exec(url);
  return project?.[1] ?? url.split('/').slice(-2).join('/');
}

/** The last (newest) .cpuprofile in `dir`, summarised: top `limit` functions and packages by self time. */
export async function summariseProfile(dir: string, limit: number): Promise<ProfileSummary> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const name = files.at(-1);
  if (name === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  const file = join(dir, name);
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (node === undefined) return;
    totalUs += delta;
    const { functionName, url, lineNumber } = node.callFrame;
    const where =
      url === ''
        ? ''
        : ` ${url
            .replace(/^file:\/\//, '')
            .split('/')
            .slice(-2)
            .join('/')}:${lineNumber + 1}`;
    const key = `${functionName || '(anonymous)'}${where}`;
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + delta);
    const pkg = packageOf(url);
    selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + delta);
  });
  const rank = (map: Map<string, number>): SelfTime[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([key, us]) => ({ name: key, selfMs: round(us / 1000), percent: round((us / totalUs) * 100) }));
  return { file, totalMs: round(totalUs / 1000), top: rank(selfByFunction), byPackage: rank(selfByPackage) };
}
