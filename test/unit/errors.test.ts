import { describe, expect, it } from 'vitest';
import { ConfigError, InputError, PolicyError, UpstreamError, isUserFacing } from '../../src/core/errors.js';

describe('errors', () => {
  it('marks Bastion errors as user-facing and everything else as internal', () => {
    for (const error of [new ConfigError('c'), new PolicyError('p'), new InputError('i'), new UpstreamError('u', 'http', 500)]) {
      expect(isUserFacing(error), error.name).toBe(true);
    }
    for (const error of [new Error('e'), new TypeError('t'), 'text', undefined, { message: 'm' }]) {
      expect(isUserFacing(error)).toBe(false);
    }
  });

  it('gives each error its own name, for logs and messages', () => {
    expect([new ConfigError('x'), new PolicyError('x'), new InputError('x'), new UpstreamError('x', 'timeout')].map((e) => e.name)).toEqual([
      'ConfigError',
      'PolicyError',
      'InputError',
      'UpstreamError',
    ]);
  });

  it('keeps the kind, status and upstream details of an UpstreamError', () => {
    const error = new UpstreamError('Redmine answered 422', 'http', 422, ['Subject cannot be blank']);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ message: 'Redmine answered 422', kind: 'http', status: 422, details: ['Subject cannot be blank'] });
    expect(new UpstreamError('gone', 'network').details).toEqual([]);
  });
});
