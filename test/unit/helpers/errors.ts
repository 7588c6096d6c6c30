import { expect } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';

/** Runs fn, expects it to throw a ConfigError, and returns it for checks on the message. */
export function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
