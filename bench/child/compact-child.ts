/**
 * Runs the real compactor handler's `compact` once in this process (started by a test with a
 * heap limit) and prints one JSON line: the run's summary and the process's peak RSS, sampled
 * every 20 ms while it ran.
 */
import { compact } from '../../functions/compactor/handler.js';

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
try {
  const summary = await compact({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(`${JSON.stringify({ summary, peakRssBytes: peak })}\n`);
} finally {
  clearInterval(sampler);
}
