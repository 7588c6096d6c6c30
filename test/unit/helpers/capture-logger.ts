// A real Bastion logger writing into memory, so tests can read exactly what would reach stderr.
import { Writable } from 'node:stream';
import { createLogger, type LogLevel, type Logger } from '../../../src/core/logger.js';

export interface CapturedLogger {
  logger: Logger;
  /** Everything written so far, as one string. */
  text(): string;
  /** Every non-empty line written so far. */
  lines(): string[];
}

export function captureLogger(level: LogLevel = 'trace'): CapturedLogger {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger(level, stream);
  const text = (): string => chunks.join('');
  return { logger, text, lines: () => text().split('\n').filter((line) => line.length > 0) };
}
