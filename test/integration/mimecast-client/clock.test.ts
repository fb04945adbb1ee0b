import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError } from '#core/mimecast/errors.js';
import { HOUR, mimecastFailure, type Rig, startRig } from './harness.js';

// The client estimates Mimecast's clock from the Date header of real HTTP answers; the
// simulator's clock is the shared test clock plus clockOffsetMs.

const MINUTE = 60_000;

describe('Mimecast client: estimate of the server clock over HTTP', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.sim.close();
    rig = undefined;
  });

  it.each([40 * MINUTE, -40 * MINUTE])(
    'estimates a server clock offset of %d ms within 2 s (OAuth)',
    async (offset) => {
      // Prepare
      rig = await startRig('oauth2', { sim: { clockOffsetMs: offset } });
      const before = rig.client.serverClockOffsetMs();
      // Act: a few ordinary calls, with time passing between them
      for (let i = 0; i < 3; i += 1) {
        await rig.client.getAuditEventsPage(
          { start: new Date(rig.clock.now() - 2 * HOUR), end: new Date(rig.clock.now() - HOUR) },
          undefined,
          { deadline: rig.deadline() },
        );
        rig.clock.advance(1_234);
      }
      // Assess
      expect(before).toBeUndefined();
      const estimate = rig.client.serverClockOffsetMs();
      expect(estimate).toBeDefined();
      expect(Math.abs((estimate ?? Number.NaN) - offset)).toBeLessThanOrEqual(2_000);
    },
  );

  it('learns the offset from refusals too: HMAC calls 40 min off fail the skew check', async () => {
    // Prepare: the signature's x-mc-date (client clock) is 40 min away from Mimecast's clock
    rig = await startRig('hmac', { sim: { clockOffsetMs: 40 * MINUTE } });
    // Act
    const err = await mimecastFailure(rig.client.getCategories({ deadline: rig.deadline() }));
    // Assess
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(rig.requestsTo('get-categories').map((r) => r.status)).toEqual([401]);
    expect(Math.abs((rig.client.serverClockOffsetMs() ?? Number.NaN) - 40 * MINUTE)).toBeLessThanOrEqual(
      2_000,
    );
  });

  it('follows a lasting change of the server clock once most recent answers show it', async () => {
    // Prepare
    const current = await startRig('hmac', { sim: { clockOffsetMs: 5 * MINUTE } });
    rig = current;
    const call = () => current.client.getCategories({ deadline: current.deadline() });
    for (let i = 0; i < 3; i += 1) await call();
    const first = current.client.serverClockOffsetMs();
    // Act: 4 of the last 7 answers now show the new offset
    current.sim.setClockOffset(-3 * MINUTE);
    for (let i = 0; i < 4; i += 1) await call();
    // Assess
    expect(Math.abs((first ?? Number.NaN) - 5 * MINUTE)).toBeLessThanOrEqual(2_000);
    expect(Math.abs((current.client.serverClockOffsetMs() ?? Number.NaN) + 3 * MINUTE)).toBeLessThanOrEqual(
      2_000,
    );
  });
});
