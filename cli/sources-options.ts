/**
 * `npm run sources` option parsing: schedules, durations and numbers as operators type them,
 * checked against the registry's schema so the CLI refuses exactly what the registry would.
 */
import { InvalidArgumentError } from 'commander';
import { type SourceConfig, sourceConfigSchema } from '#core/registry/source-config.js';

/** A mistake in the command line (exit 2); its message is shown as is. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** `--schedule`: `5m`, `1h` or `15` (minutes), 1 to 60 minutes. */
export function parseSchedule(text: string): number {
  const match = /^([0-9]{1,4})(m|h)?$/.exec(text.trim());
  const minutes = match ? Number(match[1]) * (match[2] === 'h' ? 60 : 1) : Number.NaN;
  if (!(minutes >= 1 && minutes <= 60))
    throw new InvalidArgumentError('use 1 to 60 minutes, e.g. 5m, 15 (minutes) or 1h');
  return minutes;
}

/** A whole number from `min` to `max` (commander option parser). */
export const wholeNumber = (min: number, max: number) => (text: string) => {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text.trim()) || n < min || n > max)
    throw new InvalidArgumentError(`use a whole number from ${min} to ${max}`);
  return n;
};

/** `--rescan`: comma-separated ages (after a window's end), seconds or with a unit (`3600,86400`, `1h,1d`); `none` for no rescans. */
export function parseRescan(text: string): number[] {
  if (text.trim() === 'none') return [];
  const delays = text.split(',').map((part) => {
    const match = /^([0-9]{1,8})([smhdw])?$/.exec(part.trim());
    if (!match)
      throw new InvalidArgumentError('use ages in seconds or with a unit, e.g. 3600,86400 or 1h,1d');
    return Number(match[1]) * (SECONDS[match[2] ?? 's'] ?? 1);
  });
  return [...new Set(delays)].sort((a, b) => a - b);
}

/** 3600 → `1h`, 86400 → `1d`, 90 → `90s`: the largest unit that divides it. */
export function formatSeconds(seconds: number): string {
  for (const [unit, size] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** One line of settings: `enabled, every 5 min, lookback 60 d, settle 300 s, rescans after 1h, 1d`. */
export function describeSettings(config: SourceConfig): string {
  return [
    config.enabled ? 'enabled' : 'disabled',
    `every ${config.scheduleMinutes} min`,
    `lookback ${config.lookbackDays} d`,
    `settle ${config.settleSeconds} s`,
    config.rescanAfterSeconds.length === 0
      ? 'no rescans'
      : `rescans after ${config.rescanAfterSeconds.map(formatSeconds).join(', ')}`,
  ].join(', ');
}

/** The settings options common to `add` and `update`, as commander hands them over. */
export interface SettingsOptions {
  schedule?: number;
  lookbackDays?: number;
  settleSeconds?: number;
  rescan?: number[];
  disabled?: boolean;
}

/** The registry fields those options set (only the ones given). */
export function settingsFrom(options: SettingsOptions): Partial<SourceConfig> {
  return {
    ...(options.schedule !== undefined ? { scheduleMinutes: options.schedule } : {}),
    ...(options.lookbackDays !== undefined ? { lookbackDays: options.lookbackDays } : {}),
    ...(options.settleSeconds !== undefined ? { settleSeconds: options.settleSeconds } : {}),
    ...(options.rescan !== undefined ? { rescanAfterSeconds: options.rescan } : {}),
    ...(options.disabled ? { enabled: false } : {}),
  };
}

/** Validates a complete source against the registry's schema; a UsageError names the fields. */
export function checkSource(candidate: Record<string, unknown>): SourceConfig {
  const parsed = sourceConfigSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  throw new UsageError(
    parsed.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`).join('; '),
  );
}
