/** Fault injection: a FIFO of scripted faults per endpoint, plus optional seeded random faults. */
import type { Fault, RandomFaults, ScriptedFault, SimEndpoint } from './api.js';
import { createRandom, type Random } from './prng.js';

/** Decides which fault (if any) the next request to an endpoint gets. */
export class FaultInjector {
  private readonly queue: { endpoint: SimEndpoint; fault: Fault; remaining: number }[] = [];
  private random: { config: RandomFaults; next: Random } | undefined;

  /** Appends scripted faults (each applies to its next `times` matching requests). */
  script(faults: readonly ScriptedFault[]): void {
    for (const scripted of faults) {
      const times = scripted.times ?? 1;
      if (!Number.isInteger(times) || times < 1)
        throw new RangeError('ScriptedFault.times must be a positive integer');
      validateFault(scripted.fault);
      this.queue.push({
        endpoint: scripted.endpoint ?? 'get-audit-events',
        fault: scripted.fault,
        remaining: times,
      });
    }
  }

  /** Sets or clears random faults. */
  setRandom(config: RandomFaults | undefined): void {
    if (config) {
      if (!(config.probability >= 0 && config.probability <= 1)) {
        throw new RangeError('RandomFaults.probability must be within 0..1');
      }
      if (config.faults.length === 0) throw new RangeError('RandomFaults.faults must not be empty');
      config.faults.forEach(validateFault);
    }
    this.random = config ? { config, next: createRandom(config.seed) } : undefined;
  }

  /** The fault for the next request to `endpoint`; scripted faults come before random ones. */
  next(endpoint: SimEndpoint): Fault | undefined {
    const index = this.queue.findIndex((entry) => entry.endpoint === endpoint);
    const scripted = this.queue[index];
    if (scripted) {
      scripted.remaining -= 1;
      if (scripted.remaining === 0) this.queue.splice(index, 1);
      return scripted.fault;
    }
    const random = this.random;
    if (!random || (random.config.endpoint ?? 'get-audit-events') !== endpoint) return undefined;
    if (random.next() >= random.config.probability) return undefined;
    return random.config.faults[Math.floor(random.next() * random.config.faults.length)];
  }
}

function validateFault(fault: Fault): void {
  if (fault.type === 'slow' && !(fault.delayMs >= 0)) throw new RangeError('slow.delayMs must be ≥ 0');
  if (fault.type === 'rate_limit' && !(fault.resetMs >= 0))
    throw new RangeError('rate_limit.resetMs must be ≥ 0');
}
