/**
 * Benchmark child: the baseline of benchmark 1. The same Mimecast client drains exactly the
 * searches the collector made and throws the events away: what the wire alone costs.
 */
import { createMimecastClient, parseMimecastSecret } from '#core/mimecast/index.js';
import { RssSampler, readRequest, runChild, sharedClock, writeResult } from './io.js';

runChild(async () => {
  const request = readRequest('fetch');
  const sampler = new RssSampler(0);
  const clock = sharedClock(request.clock);
  const client = createMimecastClient(parseMimecastSecret(request.secretJson), {
    clock,
    pageSize: request.pageSize,
  });
  let pages = 0;
  let apiEvents = 0;
  let apiBytes = 0;
  const started = performance.now();
  for (const query of request.queries) {
    const search = { start: new Date(query.start), end: new Date(query.end), pageSize: request.pageSize };
    for await (const page of client.auditEventPages(search, { deadline: clock.now() + 600_000 })) {
      pages += 1;
      apiEvents += page.events.length;
      apiBytes += page.responseBytes;
    }
  }
  const runMs = performance.now() - started;
  writeResult({ mode: 'fetch', runMs, pages, apiEvents, apiBytes, memory: sampler.finish() });
});
