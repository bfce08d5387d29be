/**
 * The process logger: pino JSON lines with timestamps in the configured zone (IST by default, as the
 * seeds ask), and every logged value redacted before it is written (see redact.ts).
 *
 * Cheap on the request path: a request is logged as method, URL (credential parameters masked),
 * host and peer address (never its headers or body), a response as its status code; objects with
 * nothing to redact are not copied; the zone's date, hour and offset are computed once a minute.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { formatIsoInZone } from '../lib/time.ts';
import { REDACTED, isSensitiveKey, redactDeep, redactText } from './redact.ts';

export type { Logger };

export interface LoggerOptions {
  level: string;
  timezone: string;
  name?: string;
  destination?: DestinationStream;
}

/**
 * `epochMs → 2026-11-21T22:47:00.123+05:30` in `timeZone`. Intl runs once per minute of log time
 * (zone offsets are whole minutes, so a minute shares its date, hour and offset); the seconds and
 * milliseconds are arithmetic.
 */
export function zoneClock(timeZone: string): (epochMs: number) => string {
  let minuteStart = Number.NaN;
  let prefix = '';
  let suffix = '';
  return (epochMs: number) => {
    const ms = Math.floor(epochMs);
    const within = ((ms % 60_000) + 60_000) % 60_000;
    const minute = ms - within;
    if (minute !== minuteStart) {
      const full = formatIsoInZone(minute, timeZone);
      // `YYYY-MM-DDTHH:MM:` and the offset after `SS.mmm`.
      prefix = full.slice(0, 17);
      suffix = full.slice(23);
      minuteStart = minute;
    }
    const seconds = Math.floor(within / 1000);
    const millis = within % 1000;
    return `${prefix}${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}${suffix}`;
  };
}

/** Keys that have a serializer below: their values are redacted there, not in formatters.log. */
const serializedKeys = new Set(['req', 'res', 'err']);

/** Redacts a log call's merge object (or a child's bindings); the same object when nothing needs masking. */
function redactFields(object: Record<string, unknown>): Record<string, unknown> {
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
function serializeRequest(value: unknown): unknown {
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

function serializeResponse(value: unknown): unknown {
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
    options.destination,
  );
  // pino applies formatters.bindings to the root's base only, not to child bindings: redact those
  // here (children inherit this method, so grandchildren are covered too).
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return child.call(this, redactFields(bindings), childOptions);
  } as typeof logger.child;
  return logger;
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
