/**
 * The process logger: pino JSON lines with timestamps in the configured zone (IST by default, as the
 * seeds ask), and every object redacted before it is written (see redact.ts).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { formatIsoInZone } from '../lib/time.ts';
import { redactDeep, redactText } from './redact.ts';

export type { Logger };

export interface LoggerOptions {
  level: string;
  timezone: string;
  name?: string;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const { timezone } = options;
  return pino(
    {
      name: options.name ?? 'integration-service',
      level: options.level,
      messageKey: 'msg',
      // Errors are turned into plain objects (with stack and cause, redacted) by redactDeep in
      // formatters.log; pino's own serializer would then drop the cause.
      serializers: { err: (value: unknown) => value },
      base: { pid: process.pid },
      timestamp: () => `,"time":"${formatIsoInZone(Date.now(), timezone)}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactDeep(object) as Record<string, unknown>,
      },
      hooks: {
        // Messages are free text and may quote a URL or header; mask token shapes there too.
        logMethod(args, method) {
          const redacted = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
          return method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
