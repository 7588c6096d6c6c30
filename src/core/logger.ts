// Structured JSON logs on stderr (stdout carries the stdio protocol). Every line passes through the scrubber.
import pino, { type Logger } from 'pino';
import { redact } from './redact.js';

export type { Logger };
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel = 'info', destination: NodeJS.WritableStream | number = 2): Logger {
  const stream = typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino(
    {
      level,
      base: { name: 'bastion' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Scrub the finished line, so nothing (fields, messages, serialised errors) escapes redaction.
      hooks: { streamWrite: (line) => redact(line) },
      serializers: { err: (error: unknown) => serializeError(error, level === 'debug' || level === 'trace') },
    },
    stream,
  );
}

/** Errors are logged with name and message; stacks only at debug level and below. */
function serializeError(error: unknown, withStack: boolean): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const out: Record<string, unknown> = { type: error.name, message: error.message };
  if (withStack && error.stack) out.stack = error.stack;
  return out;
}

/** A logger that writes nothing, for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
