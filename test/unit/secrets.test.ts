import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, redact } from '../../src/core/redact.js';
import { Secret, fingerprint, mask, readSecretFile } from '../../src/core/secrets.js';

const VALUE = 'canary-secret-value-1234567890';

afterEach(() => clearRegisteredSecrets());

describe('Secret', () => {
  const secret = new Secret(VALUE, 'env', 'REDMINE_API_KEY');

  it('prints as [REDACTED] however it is turned into text', () => {
    expect(String(secret)).toBe('[REDACTED]');
    expect(`${secret}`).toBe('[REDACTED]');
    expect(JSON.stringify({ key: secret })).toBe('{"key":"[REDACTED]"}');
    expect(inspect(secret)).not.toContain(VALUE);
    expect(inspect({ nested: { secret } }, { depth: 5 })).not.toContain(VALUE);
    expect(inspect(secret)).toContain('[REDACTED]');
  });

  it('gives the value only through reveal()', () => {
    expect(secret.reveal()).toBe(VALUE);
  });

  it('keeps where it came from without the value', () => {
    expect(secret.source).toBe('env');
    expect(secret.origin).toBe('REDMINE_API_KEY');
  });

  it('has a stable 8-hex fingerprint that differs between values', () => {
    expect(secret.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(new Secret(VALUE, 'file', '/x').fingerprint).toBe(secret.fingerprint);
    expect(fingerprint(VALUE)).toBe(secret.fingerprint);
    expect(fingerprint('canary-other-value-0987654321')).not.toBe(secret.fingerprint);
    expect(VALUE).not.toContain(secret.fingerprint);
  });

  it('registers its value for redaction', () => {
    new Secret('canary-registered-by-constructor', 'env', 'X');
    expect(redact('leaked canary-registered-by-constructor here')).toBe('leaked [REDACTED] here');
  });

  it('masks to *** plus the last four characters', () => {
    expect(secret.masked).toBe('***7890');
  });
});

describe('mask', () => {
  it.each([
    ['', '***'],
    ['abcd', '***'],
    ['12345678', '***'],
    ['123456789', '***6789'],
    ['canary-secret-value-1234567890', '***7890'],
  ])('mask(%j) is %j', (value, expected) => {
    expect(mask(value)).toBe(expected);
  });
});

describe('readSecretFile', () => {
  it('names a missing file by its path, but masks a value that is the secret itself rather than a path', () => {
    expect(() => readSecretFile('/run/secrets/redmine-key-missing')).toThrow('Secret file /run/secrets/redmine-key-missing does not exist');
    expect(() => readSecretFile('redmine-missing.key')).toThrow('Secret file redmine-missing.key does not exist');
    let message = '';
    try {
      readSecretFile(VALUE);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Secret file ***7890 does not exist');
    expect(message).toContain('names a file that holds the secret, not the secret itself');
    expect(message).not.toContain(VALUE);
  });
});
