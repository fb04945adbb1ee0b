/** `--since` durations: a whole number and a unit, e.g. `90m`, `12h`, `180d`, `2w`. */

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a duration such as `180d`, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^([1-9][0-9]{0,6})([smhdw])$/.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  const factor = UNITS[unit ?? ''];
  return factor === undefined ? undefined : Number(amount) * factor;
}
