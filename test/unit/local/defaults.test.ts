import { describe, expect, it } from 'vitest';
import { USAGE as SIMULATOR_USAGE } from '#local/mimecast-sim/cli-args.js';
import { DEFAULT_EVENTS_PER_DAY, resolveSettings } from '#local/mimecast-sim/settings.js';
import { parseStartArgs, USAGE } from '#local/runtime/args.js';

describe('one default event rate', () => {
  it('is 1000 a day for npm start and for the standalone simulator', () => {
    const start = parseStartArgs([]);
    expect(DEFAULT_EVENTS_PER_DAY).toBe(1000);
    expect(start.kind === 'run' && start.options.eventsPerDay).toBe(1000);
    expect(resolveSettings({}).eventsPerDay).toBe(1000);
    expect(USAGE).toMatch(/--events-per-day <n>.*default 1000/);
    expect(SIMULATOR_USAGE).toMatch(/--events-per-day <n>.*default 1000/);
  });
});
