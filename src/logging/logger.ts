/**
 * The process logger: pino JSON lines with timestamps in the configured zone (IST by default, as the
 * seeds ask), and every logged value redacted before it is written (see redact.ts).
 *
 * Cheap on the request path: a request is logged as method, URL (credential parameters masked),
 * host and peer address (never its headers or body), a response as its status code; objects with
 * nothing to redact are not copied; the zone's date, hour and offset are computed once a minute;
 * lines reach stdout in chunks (bufferedDestination) instead of one write system call each.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { zoneClock } from '../lib/time.ts';
import { REDACTED, isSensitiveKey, redactDeep, redactText } from './redact.ts';

export type { Logger };

export interface LoggerOptions {
  level: string;
  timezone: string;
  name?: string;
  /** Where lines go; stdout through bufferedDestination by default. */
  destination?: DestinationStream;
}

const FLUSH_EVERY_MS = 100;
const CHUNK_BYTES = 16 * 1024;
/** sonic-boom's largest single write (it must exceed CHUNK_BYTES); a pipe takes 64 KiB at once. */
const MAX_WRITE_BYTES = 64 * 1024;

/**
 * stdout (fd 1) or a file, written asynchronously once 16 KiB are pending (writes of 4 KiB still
 * showed in profiles) or 100 ms have passed, and synchronously flushed when the process exits (also
 * through process.exit, which the shutdown paths use). A synchronous write per line cost more than
 * formatting it (bench: http-overhead). What a SIGKILL can lose is the last 100 ms of lines.
 */
export function bufferedDestination(dest: number | string = 1): DestinationStream {
  // Buffer mode: in its default (string) mode sonic-boom measures the pending chunk's byte length on
  // every line, flattening a string of up to 16 KiB each time (a tenth of a light request's CPU
  // under load); in buffer mode it keeps the lengths and concatenates once per write.
  const stream = pino.destination({ dest, sync: false, minLength: CHUNK_BYTES, maxWrite: MAX_WRITE_BYTES, contentMode: 'buffer' });
  const writeBuffer = stream.write.bind(stream) as unknown as (data: Buffer) => boolean;
  (stream as unknown as { write: (line: string | Buffer) => boolean }).write = (line) => writeBuffer(typeof line === 'string' ? Buffer.from(line) : line);
  const timer = setInterval(() => {
    const pending = (stream as unknown as { _len?: unknown })._len;
    if (typeof pending === 'number' && pending === 0) return;
    try {
      stream.flush();
    } catch {
      // Not open yet, or already closed: the next tick or the exit flush writes it.
    }
  }, FLUSH_EVERY_MS);
  timer.unref();
  stream.on('close', () => clearInterval(timer));
  return stream;
}

/** Keys that have a serializer below: their values are redacted there, not in formatters.log. */
const serializedKeys = new Set(['req', 'res', 'err']);

/** Redacts a log call's merge object (or a child's bindings); the same object when nothing needs masking. */
export function redactFields(object: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const value = object[key];
    let redacted: unknown;
    if (serializedKeys.has(key)) redacted = value;
    else if (isSensitiveKey(key) && value !== null && value !== undefined && value !== '') redacted = REDACTED;
    else redacted = redactDeep(value);
    if (redacted !== value) {
      out ??= { ...object };
      out[key] = redacted;
    }
  }
  return out ?? object;
}

type HttpRequestLike = {
  method: string;
  url: string;
  headers: object;
  ip?: unknown;
  host?: unknown;
  socket?: { remoteAddress?: unknown; remotePort?: unknown } | null;
};

function isHttpRequest(value: unknown): value is HttpRequestLike {
  const candidate = value as Partial<HttpRequestLike> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.method === 'string' &&
    typeof candidate.url === 'string' &&
    typeof candidate.headers === 'object' &&
    candidate.headers !== null
  );
}

/** A Fastify (or Node) request as method, URL, host and peer; anything else logged under `req` is redacted as data. */
export function serializeRequest(value: unknown): unknown {
  if (!isHttpRequest(value)) return redactDeep(value);
  const socket = value.socket ?? null;
  const remoteAddress = 'ip' in value ? value.ip : socket?.remoteAddress;
  return {
    method: value.method,
    url: redactText(value.url),
    host: typeof value.host === 'string' ? redactText(value.host) : undefined,
    remoteAddress,
    remotePort: socket?.remotePort,
  };
}

export function serializeResponse(value: unknown): unknown {
  const statusCode = (value as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && typeof value === 'object' && value !== null && ('raw' in value || 'socket' in value)) return { statusCode };
  return redactDeep(value);
}

export function createLogger(options: LoggerOptions): Logger {
  const clock = zoneClock(options.timezone);
  const logger = pino(
    {
      name: options.name ?? 'integration-service',
      level: options.level,
      messageKey: 'msg',
      serializers: { err: redactDeep, req: serializeRequest, res: serializeResponse },
      base: { pid: process.pid },
      timestamp: () => `,"time":"${clock(Date.now())}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: redactFields,
      },
      hooks: {
        // Messages are free text and may quote a URL or header; mask token shapes there too. An
        // error logged without a message would have its raw message copied into `msg` by pino.
        logMethod(args, method) {
          const first = args[0] as unknown;
          if (first instanceof Error) args[0] = { err: first } as unknown as string;
          for (let index = 0; index < args.length; index += 1) {
            const arg = args[index] as unknown;
            if (typeof arg === 'string') args[index] = redactText(arg);
            else if (index > 0 && typeof arg === 'object' && arg !== null) args[index] = redactDeep(arg) as string;
          }
          if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) {
            const err = (args[0] as { err?: unknown; msg?: unknown }).err;
            if (err instanceof Error && (args[0] as { msg?: unknown }).msg === undefined) {
              // The serialized message: redacted, and without a failed statement's values.
              const message = (redactDeep(err) as { message?: unknown }).message;
              args.push(typeof message === 'string' ? message : 'error');
            }
          }
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? bufferedDestination(1),
  );
  // pino applies formatters.bindings to the root's base only, not to child bindings: redact those
  // here (children inherit this method, so grandchildren are covered too).
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactFields(bindings), childOptions);
  } as typeof logger.child;
  return logger;
}

const symbols = pino.symbols as typeof pino.symbols & { msgPrefixSym?: symbol };
const INFO = 30;

/**
 * Writes one info line whose fields are already JSON, bypassing pino's per-call work (argument
 * hook, merge-object formatter, serializers, key-by-key assembly) but with the logger's own level
 * label, time, bindings (the child's, already redacted when it was made) and stream: the line is
 * the one `log.info(fields, message)` would write. For hot paths that build their fields once,
 * e.g. the access line. `fields` is `,"key":value…` (each value redacted by the caller), `message`
 * a JSON string literal.
 *
 * Returns false, writing nothing, when the logger is not one of createLogger's as configured there
 * (different serializers or formatters, a message prefix or mixin, a stream that wants metadata or a
 * streamWrite hook): the caller then logs the usual way. True when the line was written or info is
 * below the logger's level.
 */
export function writePreformattedInfo(log: Logger, fields: string, message: string): boolean {
  const internals = log as unknown as Record<symbol, unknown>;
  const serializers = internals[symbols.serializersSym] as { req?: unknown; res?: unknown } | undefined;
  const formatters = internals[symbols.formattersSym] as { log?: unknown } | undefined;
  if (serializers?.req !== serializeRequest || serializers.res !== serializeResponse || formatters?.log !== redactFields) return false;
  if (!log.isLevelEnabled('info')) return true;
  const levelLabel = (internals[symbols.lsCacheSym] as Record<number, unknown> | undefined)?.[INFO];
  const time = internals[symbols.timeSym];
  const chindings = internals[symbols.chindingsSym];
  const end = internals[symbols.endSym];
  const stream = internals[symbols.streamSym] as { write(line: string): unknown } | undefined;
  if (typeof levelLabel !== 'string' || typeof time !== 'function' || typeof chindings !== 'string' || typeof end !== 'string' || !stream) return false;
  const prefix = symbols.msgPrefixSym === undefined ? undefined : internals[symbols.msgPrefixSym];
  const streamWrite = (internals[symbols.hooksSym] as { streamWrite?: unknown } | undefined)?.streamWrite;
  if (prefix || internals[symbols.mixinSym] || streamWrite || (stream as Record<symbol, unknown>)[symbols.needsMetadataGsym] === true) return false;
  stream.write(`${levelLabel}${(time as () => string).call(log)}${chindings}${fields},"msg":${message}${end}`);
  return true;
}

type Level = 'fatal' | 'error' | 'warn' | 'info';

/**
 * Logs and never throws: for the last-resort paths (the error handler, process-level handlers, a
 * background task's catch) where a failure to log must not become a second failure. If the logger
 * itself throws, one fixed line (the message and the logging failure's type, no data) goes to stderr.
 */
export function logSafely(logger: Pick<Logger, Level>, level: Level, object: Record<string, unknown>, message: string): void {
  try {
    logger[level](object, message);
  } catch (error) {
    try {
      const type = error instanceof Error ? error.name : typeof error;
      process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg: message, logging_failed: type })}\n`);
    } catch {
      // Nothing left to report to.
    }
  }
}
