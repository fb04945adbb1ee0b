/**
 * Takes the handlers' structured log lines off the terminal. Powertools' Logger writes each
 * entry as one JSON line to process.stdout or process.stderr (through a Console of its own, so
 * nothing short of the streams can catch it). `npm start` wants them as data: "Window committed"
 * drives the progress display, warnings are counted, and only with --verbose are the lines
 * themselves shown. Everything that is not such a line passes through untouched.
 */

/** One Powertools log entry. */
export interface LogRecord {
  level: string;
  message: string;
  service: string;
  timestamp: string;
  [key: string]: unknown;
}

/** Where a captured line came from, so --verbose can put it back on the same stream. */
export type LogStream = 'stdout' | 'stderr';

/** Receives each captured entry with its original text (without the newline). */
export type LogSink = (record: LogRecord, line: string, stream: LogStream) => void;

/** Undoes installLogRouter; also gives the original writers for output that must not be captured. */
export interface LogRouter {
  /** Writes to the real stream, bypassing the router. */
  write(stream: LogStream, text: string): void;
  uninstall(): void;
}

// Powertools' formatter always starts with these two keys, in this order; a cheap test before JSON.parse.
const LOG_LINE = /^\{"level":"(?:TRACE|DEBUG|INFO|WARN|ERROR|CRITICAL)","message":/;

/** The entry in `line`, or undefined when it is not a Powertools log line. */
export function parseLogLine(line: string): LogRecord | undefined {
  if (!LOG_LINE.test(line)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err: unknown) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.level !== 'string' || typeof record.message !== 'string') return undefined;
  return {
    ...record,
    level: record.level,
    message: record.message,
    service: typeof record.service === 'string' ? record.service : '',
    timestamp: typeof record.timestamp === 'string' ? record.timestamp : '',
  };
}

type Write = typeof process.stdout.write;

/**
 * Routes Powertools log lines written to process.stdout/stderr to `sink`; other output is
 * written as before. A write holding several lines is split; only whole log lines are taken.
 */
export function installLogRouter(sink: LogSink): LogRouter {
  const streams = { stdout: process.stdout, stderr: process.stderr } as const;
  const originals: Record<LogStream, Write> = {
    stdout: process.stdout.write,
    stderr: process.stderr.write,
  };
  const raw = (name: LogStream, text: string) => {
    originals[name].call(streams[name], text);
  };
  // A reader that went away (`npm start | head`, a closed terminal) is not an error of ours; console.log ignores it too.
  const closedPipe = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  };
  streams.stdout.on('error', closedPipe);
  streams.stderr.on('error', closedPipe);
  for (const name of ['stdout', 'stderr'] as const) {
    const replacement = function (this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
      const text =
        typeof chunk === 'string'
          ? chunk
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk).toString('utf8')
            : undefined;
      if (text === undefined || !text.includes('{"level":')) {
        return (originals[name] as (...args: unknown[]) => boolean).call(streams[name], chunk, ...rest);
      }
      const kept: string[] = [];
      for (const line of text.split(/(?<=\n)/)) {
        const body = line.endsWith('\n') ? line.slice(0, -1) : line;
        const record = parseLogLine(body);
        if (record) sink(record, body, name);
        else kept.push(line);
      }
      const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
      if (kept.length > 0) {
        const remaining = kept.join('');
        const write = originals[name] as (chunk: string, callback?: () => void) => boolean;
        return write.call(streams[name], remaining, callback);
      }
      if (callback) queueMicrotask(callback);
      return true;
    };
    streams[name].write = replacement as Write;
  }
  return {
    write: raw,
    uninstall() {
      streams.stdout.write = originals.stdout;
      streams.stderr.write = originals.stderr;
      streams.stdout.off('error', closedPipe);
      streams.stderr.off('error', closedPipe);
    },
  };
}
